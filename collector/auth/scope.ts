import { PatternSet } from '../privacy/glob.ts';
import type { Access, KeyRecord } from './keys.ts';

/**
 * Which models a request may touch. Read routes outside collector/ (analyzer, alerts) see this
 * shape on `request.modelScope` without importing this module.
 */
export interface ModelScope {
  /** True when the key names no tenant and no model: every model, and model-less data. */
  readonly unrestricted: boolean;
  allows(model: string): boolean;
}

/** The authenticated caller of a request. */
export interface Principal extends ModelScope {
  keyId: string;
  access: ReadonlySet<Access>;
  /** The model patterns the scope is made of (tenants' and the key's own), for messages. */
  patterns: readonly string[];
}

/** Tenant definitions: a name and the model patterns it owns. */
export type Tenants = Record<string, { models: string[] }>;

/** The scope of the anonymous caller when auth is off: everything. */
export const OPEN_SCOPE: ModelScope = { unrestricted: true, allows: () => true };

/**
 * Builds the principal of a key: its models are the union of its tenants' patterns and its own.
 * A key with neither tenants nor models is unrestricted; a key whose tenants are unknown (a table
 * key naming a tenant removed from the config) can reach nothing rather than everything.
 */
export function principalOf(rec: KeyRecord, tenants: Tenants): Principal {
  const patterns = [...rec.tenants.flatMap((t) => tenants[t]?.models ?? []), ...rec.models];
  const unrestricted = rec.tenants.length === 0 && rec.models.length === 0;
  return { keyId: rec.id, access: new Set(rec.access), patterns, ...modelScope(patterns, unrestricted) };
}

/** The scope of a set of model patterns (also how a decode thread rebuilds a request's scope). */
export function modelScope(patterns: readonly string[], unrestricted: boolean): ModelScope {
  const set = new PatternSet(patterns);
  return { unrestricted, allows: unrestricted ? () => true : (model: string) => model !== '' && set.matches(model) };
}

/** Tenants a config key names that the config does not define (start-up refuses them). */
export function unknownTenants(keys: { id: string; tenants?: string[] }[], tenants: Tenants): string[] {
  return keys.flatMap((k, i) => (k.tenants ?? []).filter((t) => !(t in tenants)).map((t) => `auth.keys[${i}] (${k.id}): tenant ${JSON.stringify(t)}`));
}
