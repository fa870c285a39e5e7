import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAME_BYTES, linesToBody, type SpoolEntry } from './spool-format.ts';
import { Spool, type SpoolOptions } from './spool.ts';

const dirs: string[] = [];
const open: Spool[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-spool-'));
  dirs.push(d);
  return d;
}
function spool(dir: string, o: Partial<SpoolOptions> = {}): Spool {
  const s = new Spool({ dir, maxBytes: 1024 * 1024, fsync: true, ...o });
  open.push(s);
  return s;
}
const entry = (i: number, table = 'predictions'): SpoolEntry => ({
  table,
  token: `tok-${i}`,
  rows: 2,
  at: 1,
  body: linesToBody([JSON.stringify({ id: `${i}a` }), JSON.stringify({ id: `${i}b` })]),
});
const segments = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();

// Reads and marks done everything in the spool, returning the tokens in order.
async function drain(s: Spool): Promise<string[]> {
  const out: string[] = [];
  for (let b = await s.next(); b; b = await s.next()) {
    out.push(b.token);
    await s.done(b);
  }
  return out;
}

describe('Spool', () => {
  it('reads batches back in append order with their table, token and body; deletes segments once done', async () => {
    const dir = tmp();
    const s = spool(dir);
    expect(s.empty).toBe(true);
    await s.append(entry(1));
    await s.append(entry(2, 'logs'));
    await s.append(entry(3));
    expect(s.empty).toBe(false);
    const first = await s.next();
    expect(first).toMatchObject({ table: 'predictions', token: 'tok-1', rows: 2 });
    expect(first!.body.toString()).toBe('{"id":"1a"}\n{"id":"1b"}\n');
    // next() without done() returns the same batch: a failed replay is tried again.
    expect((await s.next())!.token).toBe('tok-1');
    await s.done(first!);
    expect(await drain(s)).toEqual(['tok-2', 'tok-3']);
    expect(s.empty).toBe(true);
    expect(s.bytes).toBe(0);
    expect(segments(dir)).toEqual([]);
  });

  it('concurrent appends share writes and keep the order they were called in', async () => {
    const s = spool(tmp());
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.append(entry(i))));
    expect(await drain(s)).toEqual(Array.from({ length: 200 }, (_, i) => `tok-${i}`));
  });

  it('rolls over to new segments and reads across them in order', async () => {
    const dir = tmp();
    const s = spool(dir, { segmentBytes: 200 });
    for (let i = 0; i < 10; i++) await s.append(entry(i));
    expect(segments(dir).length).toBeGreaterThan(3);
    const before = segments(dir).length;
    const b = await s.next();
    await s.done(b!);
    const c = await s.next();
    await s.done(c!);
    // Each finished segment is deleted as the reader moves on, freeing space early.
    expect(segments(dir).length).toBeLessThan(before);
    expect(await drain(s)).toEqual(Array.from({ length: 8 }, (_, i) => `tok-${i + 2}`));
  });

  it('a batch appended while the last one is being replayed is read next, not lost with the segment', async () => {
    const s = spool(tmp());
    await s.append(entry(1));
    const b = await s.next();
    const late = s.append(entry(2));
    await s.done(b!);
    await late;
    expect(await drain(s)).toEqual(['tok-2']);
    expect(s.empty).toBe(true);
  });

  it('survives a restart: batches not done are read again, before anything appended after the restart', async () => {
    const dir = tmp();
    const a = new Spool({ dir, maxBytes: 1 << 20, fsync: true });
    await a.append(entry(1));
    await a.append(entry(2));
    const b1 = await a.next();
    await a.done(b1!);
    await a.close();
    const again = spool(dir);
    expect(again.empty).toBe(false);
    await again.append(entry(3));
    // The read position is not persisted: tok-1 is read again (its segment was not finished), which
    // is harmless because a replay inserts under the same dedup token.
    expect(await drain(again)).toEqual(['tok-1', 'tok-2', 'tok-3']);
  });

  it('detects a torn tail left by a crash, skips it, and keeps the whole records before it', async () => {
    const dir = tmp();
    const a = new Spool({ dir, maxBytes: 1 << 20, fsync: true });
    for (let i = 0; i < 3; i++) await a.append(entry(i));
    await a.close();
    const [seg] = segments(dir);
    const file = path.join(dir, seg);
    const size = fs.statSync(file).size;
    // A fourth append cut short: its frame and half of its payload reached the disk.
    const whole = fs.readFileSync(file);
    const rec = whole.subarray(0, size / 3);
    fs.appendFileSync(file, rec.subarray(0, FRAME_BYTES + 10));
    const s = spool(dir);
    expect(await drain(s)).toEqual(['tok-0', 'tok-1', 'tok-2']);
    expect(s.invalidBytes).toBe(FRAME_BYTES + 10);
    expect(segments(dir)).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'corrupt'))).toBe(false);

    // A frame cut inside its 12 bytes is a torn tail too.
    const b = new Spool({ dir: tmp(), maxBytes: 1 << 20, fsync: false });
    await b.append(entry(7));
    await b.close();
    const bdir = dirs.at(-1)!;
    fs.appendFileSync(path.join(bdir, segments(bdir)[0]), Buffer.from('MWS'));
    const s2 = spool(bdir);
    expect(await drain(s2)).toEqual(['tok-7']);
    expect(s2.invalidBytes).toBe(3);
  });

  it('a damaged record stops the read of its segment; the file is kept in corrupt/, later segments still replay', async () => {
    const dir = tmp();
    const a = new Spool({ dir, maxBytes: 1 << 20, fsync: true, segmentBytes: 400 });
    for (let i = 0; i < 6; i++) await a.append(entry(i));
    await a.close();
    const segs = segments(dir);
    expect(segs.length).toBeGreaterThan(1);
    const file = path.join(dir, segs[0]);
    const buf = fs.readFileSync(file);
    const recLen = buf.readUInt32LE(4) + FRAME_BYTES; // records of entry(0..9) are all the same size
    buf[recLen + FRAME_BYTES + 5] ^= 0xff; // one flipped bit in the second record's payload
    fs.writeFileSync(file, buf);
    const s = spool(dir);
    const tokens = await drain(s);
    expect(tokens[0]).toBe('tok-0');
    expect(tokens).not.toContain('tok-1');
    expect(tokens.at(-1)).toBe('tok-5');
    expect(fs.readdirSync(path.join(dir, 'corrupt'))).toEqual([segs[0]]);
    expect(s.invalidBytes).toBeGreaterThan(0);
  });

  it('is bounded: beyond maxBytes appends fail with MW_ERR_SPOOL_FULL, and it takes batches again below 90%', async () => {
    const dir = tmp();
    const one = entry(0);
    const s = spool(dir, { maxBytes: 4096, segmentBytes: 1024 });
    let n = 0;
    for (;;) {
      try {
        await s.append(entry(n));
        n++;
      } catch (err) {
        expect(err).toMatchObject({ code: 'MW_ERR_SPOOL_FULL' });
        break;
      }
    }
    expect(n).toBeGreaterThan(10);
    expect(s.full).toBe(true);
    expect(s.bytes).toBeLessThanOrEqual(4096);
    const onDisk = segments(dir).reduce((t, f) => t + fs.statSync(path.join(dir, f)).size, 0);
    expect(onDisk).toBe(s.bytes);
    // Draining one small batch is not enough to take batches again (no flapping at the limit)...
    const b = await s.next();
    await s.done(b!);
    expect(s.full).toBe(true);
    await expect(s.append(one)).rejects.toMatchObject({ code: 'MW_ERR_SPOOL_FULL' });
    // ...draining most of it is.
    for (let i = 0; i < n - 3; i++) {
      const x = await s.next();
      await s.done(x!);
    }
    expect(s.full).toBe(false);
    await s.append(entry(999));
  });

  it('refuses a directory another live process holds, and takes over the lock of a dead one', async () => {
    const dir = tmp();
    const child = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(path.join(dir, 'LOCK'), String(child.pid));
      expect(() => new Spool({ dir, maxBytes: 1 << 20, fsync: false })).toThrow(expect.objectContaining({ code: 'MW_ERR_SPOOL_LOCKED' }));
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    const s = spool(dir);
    expect(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8')).toBe(String(process.pid));
    await s.close();
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
  });
});

describe('Spool bounds', () => {
  it('a single batch larger than the whole bound is refused alone and does not close an empty spool', async () => {
    const s = spool(tmp(), { maxBytes: 4096 });
    const huge = { ...entry(0), body: Buffer.alloc(8192, 0x61) };
    await expect(s.append(huge)).rejects.toMatchObject({ code: 'MW_ERR_SPOOL_FULL' });
    expect(s.full).toBe(false);
    await s.append(entry(1));
    expect(await drain(s)).toEqual(['tok-1']);
  });
});
