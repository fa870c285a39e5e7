import { anyValueString } from './values.ts';

/** The resource fields modelwatch keeps in typed columns, plus every attribute as strings. */
export interface ResourceInfo {
  service: string;
  serviceVersion: string;
  environment: string;
  host: string;
  attributes: Record<string, string>;
}

/** Reads a decoded Resource (protobuf or JSON) into typed fields. */
export function readResource(resource: any): ResourceInfo {
  const attributes: Record<string, string> = {};
  for (const kv of resource?.attributes ?? []) if (kv && typeof kv.key === 'string') attributes[kv.key] = anyValueString(kv.value);
  return {
    service: attributes['service.name'] ?? '',
    serviceVersion: attributes['service.version'] ?? '',
    // The older attribute name is still sent by many SDKs.
    environment: attributes['deployment.environment.name'] ?? attributes['deployment.environment'] ?? '',
    host: attributes['host.name'] ?? '',
    attributes,
  };
}
