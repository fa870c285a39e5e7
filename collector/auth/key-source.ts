import type { Config } from '../../core/config/schema.ts';
import { MwError } from '../../core/errors.ts';
import type { Store } from '../../storage/client.ts';
import { KeyRing, parseKeyHash, type Access, type KeyRecord } from './keys.ts';
import { principalOf, unknownTenants, type Principal } from './scope.ts';

/** The smallest gap between two reloads of the table triggered by unknown keys. */
export const MISS_RELOAD_MS = 1000;

interface Log {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

function configError(problems: string[], expected: string): MwError {
  const text = problems.map((p) => `${p}: expected ${expected}`);
  return new MwError('MW_ERR_CONFIG_INVALID', text.join('; '), { problems: text });
}

/** Validates `auth.keys` against `auth.tenants` and turns them into key records. */
export function configKeyRecords(auth: Config['auth']): KeyRecord[] {
  const unknown = unknownTenants(auth.keys, auth.tenants);
  if (unknown.length) throw configError(unknown, `a tenant defined under auth.tenants (defined: ${Object.keys(auth.tenants).join(', ') || 'none'})`);
  const seen = new Set<string>();
  return auth.keys.map((k, i) => {
    if (seen.has(k.id)) throw configError([`auth.keys[${i}].id: got ${JSON.stringify(k.id)}`], 'a unique key id');
    seen.add(k.id);
    return { id: k.id, hash: parseKeyHash(k.hash), tenants: k.tenants ?? [], models: k.models ?? [], access: k.access, source: 'config' };
  });
}

/** True when requests must carry a key: a key is configured, or keys are read from the table. */
export function authEnabled(auth: Config['auth']): boolean {
  return auth.keys.length > 0 || auth.table;
}

interface KeyRow {
  id: string;
  hash: string;
  tenants: string[];
  models: string[];
  access: string[];
  revoked: number;
}

/**
 * Where the collector's keys come from: the config, plus (with `auth.table`) the api_keys table,
 * reloaded every `refreshMs` and, at most once per MISS_RELOAD_MS, when an unknown key arrives
 * (so a key just created works at once, and a flood of bad keys costs one query a second).
 * A config key wins over a table key of the same id.
 */
export class AuthKeys {
  readonly enabled: boolean;
  private readonly ring = new KeyRing();
  private readonly configRecords: KeyRecord[];
  private tableRecords: KeyRecord[] = [];
  private lastMissReload = 0;
  private loading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  // Built once per key record (a reload makes new records): glob patterns compile once, not per request.
  private readonly principals = new WeakMap<KeyRecord, Principal>();

  constructor(private readonly auth: Config['auth'], private readonly store?: Store, private readonly log?: Log) {
    this.configRecords = configKeyRecords(auth);
    this.enabled = authEnabled(auth);
    this.rebuild();
  }

  /** Loads the table keys (when enabled) and starts the periodic reload. */
  async start(): Promise<void> {
    if (!this.auth.table || !this.store) return;
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch(() => undefined), this.auth.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The principal of a presented key, or null when no key matches. */
  async authenticate(key: string): Promise<Principal | null> {
    let rec = this.ring.verify(key);
    if (!rec && this.auth.table && this.store && Date.now() - this.lastMissReload >= MISS_RELOAD_MS) {
      this.lastMissReload = Date.now();
      // A reload already running may have read the table before the key was added: read again after it.
      if (this.loading) await this.loading.catch(() => undefined);
      await this.reload().catch(() => undefined);
      rec = this.ring.verify(key);
    }
    if (!rec) return null;
    let p = this.principals.get(rec);
    if (!p) this.principals.set(rec, (p = principalOf(rec, this.auth.tenants)));
    return p;
  }

  /** Re-reads the api_keys table; on failure keeps the keys it had. */
  reload(): Promise<void> {
    if (!this.loading) {
      this.loading = this.readTable()
        .then((records) => {
          this.tableRecords = records;
          this.rebuild();
        })
        .catch((err) => {
          this.log?.warn({ err: (err as Error).message }, 'api_keys reload failed; keeping the keys already loaded');
          throw err;
        })
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }

  private rebuild(): void {
    const configIds = new Set(this.configRecords.map((r) => r.id));
    this.ring.replace([...this.configRecords, ...this.tableRecords.filter((r) => !configIds.has(r.id))]);
  }

  private async readTable(): Promise<KeyRecord[]> {
    const rows = await this.store!.query<KeyRow>(
      `SELECT id, argMax(hash, ver) AS hash, argMax(tenants, ver) AS tenants, argMax(models, ver) AS models,
              argMax(access, ver) AS access, argMax(revoked, ver) AS revoked
       FROM ${this.store!.t('api_keys')} GROUP BY id`,
    );
    const out: KeyRecord[] = [];
    for (const r of rows) {
      if (Number(r.revoked)) continue;
      try {
        const access = r.access.filter((a): a is Access => a === 'read' || a === 'write');
        const missing = r.tenants.filter((t) => !(t in this.auth.tenants));
        if (missing.length) this.log?.warn({ key: r.id, tenants: missing }, 'api key names tenants the config does not define; they grant nothing');
        out.push({ id: r.id, hash: parseKeyHash(r.hash), tenants: r.tenants, models: r.models, access, source: 'table' });
      } catch (err) {
        this.log?.warn({ key: r.id, err: (err as Error).message }, 'api key row ignored');
      }
    }
    this.log?.debug({ keys: out.length }, 'api keys loaded from the table');
    return out;
  }
}
