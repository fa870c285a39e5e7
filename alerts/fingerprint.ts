import { createHash } from 'node:crypto';
import type { Labels } from './types.ts';

/** A stable 16-hex-digit identity of a label set (sorted names and values). */
export function fingerprint(labels: Labels): string {
  const h = createHash('sha256');
  for (const k of Object.keys(labels).sort()) h.update(k).update('\u0000').update(labels[k]).update('\u0001');
  return h.digest('hex').slice(0, 16);
}
