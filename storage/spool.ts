import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../core/config/schema.ts';
import { MwError } from '../core/errors.ts';
import { decodeFrame, decodePayload, encodeRecord, FRAME_BYTES, segmentName, segmentSeq, type SpoolEntry } from './spool-format.ts';

/** Spool settings (the `spool` config section, with the directory resolved). */
export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  /** fdatasync each append before it resolves (off only for tests and throw-away setups). */
  fsync: boolean;
  /** A segment is closed and a new one started beyond this size (default 64 MiB). */
  segmentBytes?: number;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** A spooled batch read back, with where it ends (for done()). */
export interface SpooledBatch extends SpoolEntry {
  seq: number;
  end: number;
}

interface Segment {
  seq: number;
  file: string;
  /** Bytes known to be whole records (this run's appends) or on disk (segments found at start). */
  size: number;
}

interface PendingAppend {
  buf: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

// Below this share of maxBytes a spool that refused an append takes batches again (no flapping).
const RESUME_SHARE = 0.9;

/** The spool options the config names: `<storage.dataDir>/spool` unless `spool.dir` is set. */
export function spoolOptionsFrom(config: Pick<Config, 'spool' | 'storage'>): SpoolOptions | undefined {
  if (!config.spool.enabled) return undefined;
  return { dir: path.resolve(config.spool.dir || path.join(config.storage.dataDir, 'spool')), maxBytes: config.spool.maxBytes, fsync: config.spool.fsync };
}

/**
 * A bounded, append-only, fsync'ed local queue of batches ClickHouse could not take. Appends go to
 * the newest segment file (several concurrent appends share one write and one fsync); reads go in
 * append order from the oldest; a segment is deleted once every record in it is done. Segments
 * found at start are read but never appended to, so a torn tail from a crash stays at their end,
 * where it is detected and skipped (it was never acknowledged: appends resolve only after fsync).
 */
export class Spool {
  private readonly segments: Segment[] = [];
  private head: { seg: Segment; fh: FileHandle } | null = null;
  private reader: { seq: number; fh: FileHandle } | null = null;
  private cursor = { seq: -1, offset: 0 };
  private nextSeq: number;
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  /** A write loop runs (cleared synchronously before its last waiters resolve). */
  private writeActive = false;
  private writing: Promise<void> | null = null;
  private refusing = false;
  private closed = false;
  private readonly lockFile: string;
  private readonly segmentBytes: number;
  /** Bytes skipped as torn or damaged since start. */
  invalidBytes = 0;

  // Synchronous: it runs once at start, before anything is written, and the constructor of the
  // writer that owns it cannot wait.
  constructor(private readonly opts: SpoolOptions) {
    // Several segments per spool, so that space frees up while a long backlog drains.
    this.segmentBytes = opts.segmentBytes ?? Math.min(64 * 1024 * 1024, Math.max(64 * 1024, Math.floor(opts.maxBytes / 8)));
    fs.mkdirSync(opts.dir, { recursive: true });
    this.lockFile = path.join(opts.dir, 'LOCK');
    takeLock(this.lockFile);
    for (const name of fs.readdirSync(opts.dir).sort()) {
      const seq = segmentSeq(name);
      if (seq === null) continue;
      const file = path.join(opts.dir, name);
      this.segments.push({ seq, file, size: fs.statSync(file).size });
    }
    this.nextSeq = (this.segments.at(-1)?.seq ?? 0) + 1;
  }

  /** Bytes on disk and being appended. */
  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0) + this.pendingBytes;
  }

  /** True when nothing is spooled or being spooled. */
  get empty(): boolean {
    return this.segments.length === 0 && this.pending.length === 0 && !this.writeActive;
  }

  /** True while the spool refuses batches: it reached maxBytes and has not drained below 90% since. */
  get full(): boolean {
    return !this.empty && (this.refusing || this.bytes >= this.opts.maxBytes);
  }

  /** Appends a batch; resolves once it is on disk (fsync'ed). Throws MW_ERR_SPOOL_FULL beyond maxBytes. */
  append(entry: SpoolEntry): Promise<void> {
    if (this.closed) return Promise.reject(new MwError('MW_ERR_SHUTTING_DOWN', 'spool closed'));
    const buf = encodeRecord(entry);
    if (this.bytes + buf.length > this.opts.maxBytes) {
      // One batch larger than the whole bound is refused alone; it does not close an empty spool.
      if (!this.empty) this.refusing = true;
      return Promise.reject(new MwError('MW_ERR_SPOOL_FULL', `${this.bytes} bytes spooled, limit ${this.opts.maxBytes}`, { table: entry.table }));
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ buf, resolve, reject });
      this.pendingBytes += buf.length;
      if (!this.writeActive) {
        this.writeActive = true;
        this.writing = this.writeLoop();
      }
    });
  }

  /** The oldest batch not yet done, or null when there is none (yet). */
  async next(): Promise<SpooledBatch | null> {
    for (;;) {
      const seg = this.segments[0];
      if (!seg) return null;
      if (this.cursor.seq !== seg.seq) this.cursor = { seq: seg.seq, offset: 0 };
      const at = this.cursor.offset;
      if (at >= seg.size) {
        if (!this.retirable(seg)) return null;
        await this.retire(seg);
        continue;
      }
      const fh = await this.readHandle(seg);
      const frame = Buffer.alloc(FRAME_BYTES);
      await fh.read(frame, 0, Math.min(FRAME_BYTES, seg.size - at), at);
      const f = decodeFrame(frame, seg.size - at);
      if ('ok' in f) {
        const payload = Buffer.alloc(f.length);
        await fh.read(payload, 0, f.length, at + FRAME_BYTES);
        const entry = decodePayload(payload, f.crc);
        if (!('corrupt' in entry)) return { ...entry, seq: seg.seq, end: at + FRAME_BYTES + f.length };
        await this.skipRest(seg, at, entry.corrupt, true);
      } else {
        await this.skipRest(seg, at, 'torn' in f ? 'torn tail (an append cut short by a crash; never acknowledged)' : f.corrupt, !('torn' in f));
      }
    }
  }

  /** Marks `batch` (the one next() returned) as written; deletes its segment once all of it is done. */
  async done(batch: SpooledBatch): Promise<void> {
    if (this.cursor.seq !== batch.seq) return;
    this.cursor.offset = batch.end;
    const seg = this.segments[0];
    if (seg && seg.seq === batch.seq && batch.end >= seg.size && this.retirable(seg)) await this.retire(seg);
  }

  /** Waits for appends in progress, closes the files and releases the directory. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writeActive) await this.writing;
    await this.head?.fh.close();
    await this.reader?.fh.close();
    this.head = null;
    this.reader = null;
    releaseLock(this.lockFile);
  }

  // Group commit: everything appended while the previous write+fsync ran goes in the next one.
  private async writeLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const data = Buffer.concat(batch.map((p) => p.buf));
      try {
        const head = await this.headFor(data.length);
        await head.fh.appendFile(data);
        if (this.opts.fsync) await head.fh.datasync();
        head.seg.size += data.length;
        this.pendingBytes -= data.length;
        if (this.pending.length === 0) this.writeActive = false;
        for (const p of batch) p.resolve();
      } catch (err) {
        this.pendingBytes -= data.length;
        // The segment may now end in a partial write: append no more to it.
        await this.retireHeadAfterError();
        if (this.pending.length === 0) this.writeActive = false;
        const e = new MwError('MW_ERR_WRITE_FAILED', `spool append failed: ${(err as Error).message}`, { dir: this.opts.dir }, { cause: err });
        for (const p of batch) p.reject(e);
      }
    }
  }

  // A fully read segment can go unless appends may still land in it.
  private retirable(seg: Segment): boolean {
    return this.head?.seg !== seg || (this.pending.length === 0 && !this.writeActive);
  }

  private async headFor(bytes: number): Promise<{ seg: Segment; fh: FileHandle }> {
    if (this.head && this.head.seg.size > 0 && this.head.seg.size + bytes > this.segmentBytes) {
      await this.head.fh.close();
      this.head = null;
    }
    if (!this.head) {
      const seq = this.nextSeq++;
      const file = path.join(this.opts.dir, segmentName(seq));
      const fh = await fsp.open(file, 'a');
      if (this.opts.fsync) await syncDir(this.opts.dir);
      const seg = { seq, file, size: 0 };
      this.segments.push(seg);
      this.head = { seg, fh };
    }
    return this.head;
  }

  private async retireHeadAfterError(): Promise<void> {
    const head = this.head;
    this.head = null;
    if (!head) return;
    await head.fh.truncate(head.seg.size).catch(() => undefined);
    await head.fh.close().catch(() => undefined);
    if (head.seg.size === 0) {
      this.segments.splice(this.segments.indexOf(head.seg), 1);
      await fsp.rm(head.seg.file, { force: true }).catch(() => undefined);
    }
  }

  private async readHandle(seg: Segment): Promise<FileHandle> {
    if (this.reader?.seq === seg.seq) return this.reader.fh;
    await this.reader?.fh.close();
    this.reader = { seq: seg.seq, fh: await fsp.open(seg.file, 'r') };
    return this.reader.fh;
  }

  // Bytes after `at` cannot be read as records. A torn tail is expected after a crash; anything
  // else is kept aside in `corrupt/` for inspection rather than deleted.
  private async skipRest(seg: Segment, at: number, reason: string, keep: boolean): Promise<void> {
    const bytes = seg.size - at;
    this.invalidBytes += bytes;
    const where = { file: seg.file, offset: at, bytes, reason };
    if (keep) {
      this.opts.log?.error(where, 'spool segment damaged: the records before this point were replayed; the file is kept in corrupt/');
      await this.retire(seg, path.join(this.opts.dir, 'corrupt'));
    } else {
      this.opts.log?.warn(where, 'spool segment ends in a torn record; skipped');
      await this.retire(seg);
    }
  }

  // Removes a segment from the list (synchronously, so appends never pick it) and deletes or moves it.
  private async retire(seg: Segment, moveTo?: string): Promise<void> {
    this.segments.splice(this.segments.indexOf(seg), 1);
    if (this.refusing && this.bytes <= this.opts.maxBytes * RESUME_SHARE) this.refusing = false;
    if (this.head?.seg === seg) {
      const fh = this.head.fh;
      this.head = null;
      await fh.close();
    }
    if (this.reader?.seq === seg.seq) {
      const fh = this.reader.fh;
      this.reader = null;
      await fh.close();
    }
    if (moveTo) {
      await fsp.mkdir(moveTo, { recursive: true });
      await fsp.rename(seg.file, path.join(moveTo, path.basename(seg.file)));
    } else {
      await fsp.rm(seg.file, { force: true });
    }
  }
}

// A new file's directory entry is durable only once the directory itself is synced.
async function syncDir(dir: string): Promise<void> {
  const d = await fsp.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

// One process per spool directory: two writers appending to and deleting the same segments would
// lose batches. A lock left by a process that died (SIGKILL) is taken over.
function takeLock(file: string): void {
  for (let i = 0; i < 2; i++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(fs.readFileSync(file, 'utf8').trim());
    if (owner && owner !== process.pid && alive(owner)) {
      throw new MwError('MW_ERR_SPOOL_LOCKED', `${path.dirname(file)} is used by process ${owner}`, { dir: path.dirname(file), pid: owner });
    }
    fs.rmSync(file, { force: true });
  }
  throw new MwError('MW_ERR_SPOOL_LOCKED', `cannot lock ${file}`);
}

function releaseLock(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
