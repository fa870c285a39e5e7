import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { MwError } from '../core/errors.ts';
import { ident } from './identifiers.ts';

/** Query parameters bound server-side ({name:Type} placeholders). */
export type Params = Record<string, unknown>;

/** Options of one insert. */
export interface InsertOptions {
  /** Makes a retried insert idempotent (ClickHouse insert_deduplication_token). */
  dedupToken?: string;
  settings?: ClickHouseSettings;
}

/**
 * The one storage interface above which nothing knows whether ClickHouse is embedded or a server.
 * All SQL goes through it with bound parameters; table names come from `t()`.
 */
export interface Store {
  readonly mode: 'embedded' | 'server';
  readonly database: string;
  /** Qualified, validated table name in this store's database. */
  t(table: string): string;
  query<T = Record<string, unknown>>(sql: string, params?: Params, settings?: ClickHouseSettings): Promise<T[]>;
  command(sql: string, params?: Params, settings?: ClickHouseSettings): Promise<void>;
  /** Runs a query whose SQL ends in its own FORMAT clause (RowBinary, say) and returns the raw bytes. */
  queryBinary(sql: string, params?: Params, settings?: ClickHouseSettings): Promise<Buffer>;
  /** Inserts rows given as objects (JSONEachRow). */
  insert(table: string, rows: readonly object[], opts?: InsertOptions): Promise<void>;
  /** Inserts an already-encoded JSONEachRow payload (one JSON object per line). */
  insertRaw(table: string, body: Buffer, opts?: InsertOptions): Promise<void>;
  /**
   * Inserts ClickHouse Native format (storage/native) into the named columns: one buffer, or blocks
   * sent one after the other as a Native stream (the writer's batches, without joining them first).
   */
  insertNative(table: string, columns: readonly string[], body: Buffer | readonly Buffer[], opts?: InsertOptions): Promise<void>;
  ping(): Promise<boolean>;
  serverVersion(): Promise<string>;
  close(): Promise<void>;
  /** The underlying client, for the rare caller (tests, benchmarks) that needs it. */
  readonly client: ClickHouseClient;
}

/** How to reach ClickHouse: embedded (a data directory) or a server URL. */
export interface StoreOptions {
  dataDir?: string;
  url?: string;
  user?: string;
  password?: string;
  database?: string;
  requestTimeoutMs?: number;
}

// Settings every insert carries: dedup tokens must also guard the rollup views fed by the insert.
const INSERT_SETTINGS: ClickHouseSettings = {
  deduplicate_blocks_in_dependent_materialized_views: 1,
  date_time_input_format: 'best_effort',
};

// chDB keeps settings for the rest of its session: the token is always set explicitly ('' = none),
// so one insert's token can never deduplicate a later, different insert.
function insertSettings(o?: InsertOptions): ClickHouseSettings {
  return { ...INSERT_SETTINGS, ...o?.settings, insert_deduplication_token: o?.dedupToken ?? '' };
}

// Both modes return 64-bit integers as JSON numbers, so callers see the same types either way.
const QUERY_SETTINGS: ClickHouseSettings = { output_format_json_quote_64bit_integers: 0 };

interface ChdbExt {
  rawInsert(p: { table: string; values: Buffer; format: 'JSONEachRow'; settings?: Record<string, string | number | boolean> }): Promise<unknown>;
}

// Files a crash left behind; an insert's own file lives for seconds, and another store of this
// process may share the directory, so only old files go.
function removeStaleFiles(dir: string): void {
  const before = Date.now() - 3600_000;
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      if (fs.statSync(file).mtimeMs < before) fs.rmSync(file, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Writes a batch's Native blocks to a new file in one request to the thread pool (a writev of all
 * of them). fs.promises.writeFile sends at most 512 KiB per request, and each next one waits for a
 * turn of the event loop: behind a burst of requests being parsed, a batch's file took up to 1.6 s
 * to write, while ClickHouse sat idle and every sender waited for the insert (BENCHMARKS.md, issue 12,
 * fifth part).
 */
async function writeBlocks(file: string, blocks: readonly Buffer[]): Promise<void> {
  const fh = await fs.promises.open(file, 'w');
  try {
    const size = blocks.reduce((n, b) => n + b.length, 0);
    // libuv writes every buffer before it answers (more than IOV_MAX of them too): a short count
    // means the disk refused the rest, and the insert must not read a cut file.
    const { bytesWritten } = await fh.writev(blocks as Buffer[]);
    if (bytesWritten !== size) throw new Error(`${file}: ${bytesWritten} of ${size} bytes written`);
  } finally {
    await fh.close();
  }
}

// file() expands glob patterns in its path, escapes or not: a data directory named, say,
// `data[1]` would match no file, and the insert would add nothing and still succeed.
const GLOB = /[*?{}[\]]/;

// Where Native blocks wait for file(): under the data directory, or, when its path holds a glob
// character, in a directory of this process's own under the system's temporary directory.
function nativeInsertDir(dataDir: string): { dir: string; own: boolean } {
  const under = path.join(dataDir, 'native-inserts');
  if (!GLOB.test(under)) {
    fs.mkdirSync(under, { recursive: true });
    return { dir: under, own: false };
  }
  const own = fs.mkdtempSync(path.join(os.tmpdir(), 'modelwatch-native-'));
  if (GLOB.test(own)) throw new Error(`no directory without glob characters for Native inserts: ${under}, ${own}`);
  return { dir: own, own: true };
}

/** Creates the store: embedded chDB when no URL is given, else a ClickHouse server over HTTP. */
export async function createStore(opts: StoreOptions): Promise<Store> {
  const database = ident(opts.database ?? 'modelwatch');
  let client: ClickHouseClient;
  let chdb: ChdbExt | undefined;
  let mode: 'embedded' | 'server';
  let nativeDir = '';
  // True when nativeDir is a temporary directory of this store's own, removed at close().
  let ownNativeDir = false;
  if (opts.url) {
    mode = 'server';
    client = createClient({
      url: opts.url,
      username: opts.user ?? 'default',
      password: opts.password ?? '',
      request_timeout: opts.requestTimeoutMs ?? 30000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
      // A socket idle past its TTL (the event loop busy with a burst of requests) is dropped, not
      // reused: the server may have closed it, and the insert would fail with EPIPE and be spooled.
      keep_alive: { eagerly_destroy_stale_sockets: true },
    });
  } else {
    mode = 'embedded';
    const dir = path.resolve(opts.dataDir ?? './data');
    fs.mkdirSync(dir, { recursive: true });
    const { createChdbConnection } = await import('chdb/connection');
    const connection = createChdbConnection({ path: dir });
    chdb = connection.chdb as unknown as ChdbExt;
    // chDB's in-memory insert takes text formats only; a Native block goes through a file, which
    // the engine reads with file() (see insertNative).
    ({ dir: nativeDir, own: ownNativeDir } = nativeInsertDir(dir));
    removeStaleFiles(nativeDir);
    client = createClient({ connection } as any);
  }

  const wrap = (err: unknown): never => {
    const e = err as NodeJS.ErrnoException;
    if (e && (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' || e.code === 'ETIMEDOUT' || e.code === 'EHOSTUNREACH')) {
      throw new MwError('MW_ERR_CLICKHOUSE_UNAVAILABLE', `${opts.url}: ${e.code}`, undefined, { cause: err });
    }
    throw err;
  };

  const store: Store = {
    mode,
    database,
    client,
    t: (table) => `${database}.${ident(table)}`,
    async query<T>(sql: string, params?: Params, settings?: ClickHouseSettings): Promise<T[]> {
      try {
        const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow', clickhouse_settings: { ...QUERY_SETTINGS, ...settings } });
        return (await rs.json()) as T[];
      } catch (err) {
        return wrap(err);
      }
    },
    async command(sql, params, settings) {
      try {
        await client.command({ query: sql, query_params: params, clickhouse_settings: settings });
      } catch (err) {
        wrap(err);
      }
    },
    async queryBinary(sql, params, settings) {
      try {
        const r = await client.exec({ query: sql, query_params: params, clickhouse_settings: settings });
        const parts: Buffer[] = [];
        for await (const chunk of r.stream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        return parts.length === 1 ? parts[0] : Buffer.concat(parts);
      } catch (err) {
        return wrap(err);
      }
    },
    async insert(table, rows, o) {
      if (rows.length === 0) return;
      try {
        await client.insert({
          table: store.t(table),
          values: rows as object[],
          format: 'JSONEachRow',
          clickhouse_settings: insertSettings(o),
        });
      } catch (err) {
        wrap(err);
      }
    },
    async insertRaw(table, body, o) {
      if (body.length === 0) return;
      const settings = insertSettings(o);
      try {
        if (chdb) {
          await chdb.rawInsert({ table: store.t(table), values: body, format: 'JSONEachRow', settings: settings as Record<string, string | number | boolean> });
        } else {
          await client.exec({
            query: `INSERT INTO ${store.t(table)} FORMAT JSONEachRow`,
            values: Readable.from([body]),
            clickhouse_settings: settings,
          } as any).then((r: any) => r.stream?.resume?.());
        }
      } catch (err) {
        wrap(err);
      }
    },
    async insertNative(table, columns, body, o) {
      if (body.length === 0) return;
      // Blocks go to the file (one writev) or the socket as they are: joining them copied every batch once more.
      const chunks: readonly Buffer[] = Buffer.isBuffer(body) ? [body] : body;
      const cols = columns.map(ident).join(', ');
      const settings = insertSettings(o);
      try {
        if (chdb) {
          const file = path.join(nativeDir, `${randomUUID()}.native`);
          await writeBlocks(file, chunks);
          try {
            // The path is bound like every other value (as the drift file readers bind theirs).
            await client.command({
              query: `INSERT INTO ${store.t(table)} (${cols}) SELECT ${cols} FROM file({path:String}, 'Native')`,
              query_params: { path: file },
              clickhouse_settings: settings,
            });
          } finally {
            // Not awaited: the senders wait for this insert's answer, and a turn of the event loop
            // can take a request's parse. A file left by a crash is removed at the next start.
            void fs.promises.rm(file, { force: true }).catch(() => undefined);
          }
        } else {
          await client.exec({
            query: `INSERT INTO ${store.t(table)} (${cols}) FORMAT Native`,
            values: Readable.from(chunks),
            clickhouse_settings: settings,
          } as any).then((r: any) => r.stream?.resume?.());
        }
      } catch (err) {
        wrap(err);
      }
    },
    async ping() {
      try {
        const r = await client.ping();
        return r.success;
      } catch {
        return false;
      }
    },
    async serverVersion() {
      const rows = await store.query<{ v: string }>('SELECT version() AS v');
      return rows[0].v;
    },
    async close() {
      await client.close();
      if (ownNativeDir) fs.rmSync(nativeDir, { recursive: true, force: true });
    },
  };
  return store;
}
