import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys. A key is `mw_<id>_<64 hex>`: 256 random bits after the id. What is stored (config or
 * the api_keys table) is `sha256:<hex>` of the whole key. A plain SHA-256 rather than scrypt:
 * the secret is machine-generated with 256 bits of entropy, so there is nothing for key
 * stretching to protect (it defends guessable passwords), while scrypt would cost tens of
 * milliseconds on every ingest request. Hand-chosen secrets are accepted, but the docs say to
 * generate keys with `modelwatch keys create`.
 */

/** What a key may do. */
export type Access = 'read' | 'write';

/** A key as configured or stored: never the secret, only its hash. */
export interface KeyRecord {
  id: string;
  /** 32-byte SHA-256 of the whole key. */
  hash: Buffer;
  tenants: string[];
  models: string[];
  access: Access[];
  /** Where it came from, for messages: 'config' or 'table'. */
  source: 'config' | 'table';
}

/** Key ids: letters, digits and '-', so the id can be read back out of the key. */
export const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const KEY_FORMAT = /^mw_([A-Za-z0-9][A-Za-z0-9-]{0,63})_[0-9a-f]{64}$/;

/** Generates a new key for `id`; shown once, never stored. */
export function generateKey(id: string): string {
  if (!KEY_ID.test(id)) throw new Error(`key id ${JSON.stringify(id)}: letters, digits and '-' only (at most 64)`);
  return `mw_${id}_${randomBytes(32).toString('hex')}`;
}

/** The stored form of a key: `sha256:` + hex digest. */
export function hashKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Decodes a stored hash (`sha256:<hex>` or bare hex) into its 32 bytes. */
export function parseKeyHash(stored: string): Buffer {
  const hex = stored.startsWith('sha256:') ? stored.slice(7) : stored;
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('expected sha256:<64 hex digits>');
  return Buffer.from(hex, 'hex');
}

/**
 * The set of known keys, and the check of a presented key against them. The check compares
 * digests with timingSafeEqual and never stops early on a mismatch, so the time taken says
 * nothing about how close a guess was.
 */
export class KeyRing {
  private byId = new Map<string, KeyRecord>();
  private all: KeyRecord[] = [];
  // Compared against when the id is unknown, so that case costs the same as a wrong secret.
  private readonly dummy = randomBytes(32);

  constructor(records: KeyRecord[] = []) {
    this.replace(records);
  }

  /** Replaces the whole set (a reload). */
  replace(records: KeyRecord[]): void {
    this.all = [...records];
    this.byId = new Map(records.map((r) => [r.id, r]));
  }

  get size(): number {
    return this.all.length;
  }

  ids(): string[] {
    return this.all.map((r) => r.id);
  }

  /** The record the key belongs to, or null. */
  verify(key: string): KeyRecord | null {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    const m = KEY_FORMAT.exec(key);
    if (m) {
      const rec = this.byId.get(m[1]);
      const ok = timingSafeEqual(digest, rec ? rec.hash : this.dummy);
      return ok && rec ? rec : null;
    }
    // A hand-made secret carries no id: compare with every key, without stopping at a match.
    let found: KeyRecord | null = null;
    for (const rec of this.all) if (timingSafeEqual(digest, rec.hash) && !found) found = rec;
    return found;
  }
}

/** The key a request carries: `Authorization: Bearer <key>`, else `x-api-key`; undefined when none. */
export function keyFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m) return m[1];
  }
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x.trim()) return x.trim();
  return undefined;
}
