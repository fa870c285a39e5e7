import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createStore } from './client.ts';
import { classifyInsertError } from './errors.ts';
import { migrate } from './migrate.ts';
import { encodeNativeBlock } from './native/block.ts';
import { NATIVE_TABLES } from './native/tables.ts';

describe('server mode through the same store', () => {
  it('uses the URL, reports an unreachable server as unavailable, and ping() is false', async () => {
    // A loopback port nothing listens on.
    const store = await createStore({ url: 'http://127.0.0.1:9', user: 'u', password: 'p', database: 'mw', requestTimeoutMs: 2000 });
    expect(store.mode).toBe('server');
    expect(store.t('predictions')).toBe('mw.predictions');
    expect(await store.ping()).toBe(false);
    const err = await store.query('SELECT 1').catch((e) => e);
    expect(err.code).toBe('MW_ERR_CLICKHOUSE_UNAVAILABLE');
    expect(classifyInsertError(err)).toBe('retry');
    await store.close();
  });

  it('rejects a database name that is not a plain identifier', async () => {
    await expect(createStore({ url: 'http://127.0.0.1:9', database: 'a-b' })).rejects.toMatchObject({ code: 'MW_ERR_BAD_IDENTIFIER' });
  });

  it('classifies insert errors', () => {
    expect(classifyInsertError({ code: '252' })).toBe('retry'); // TOO_MANY_PARTS
    expect(classifyInsertError({ code: '27' })).toBe('split'); // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    expect(classifyInsertError({ code: '60' })).toBe('fail'); // UNKNOWN_TABLE
    expect(classifyInsertError(new Error('socket hang up'))).toBe('retry');
  });
});

describe('embedded Native inserts', () => {
  it('land when the data directory path holds glob characters (file() would otherwise match nothing)', async () => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mw-glob-')), 'data[1]{a,b}*?');
    const store = await createStore({ dataDir });
    try {
      await migrate(store);
      const rows = [{ ts: Date.now(), model: 'glob', prediction_id: 'g1' }, { ts: Date.now(), model: 'glob', prediction_id: 'g2' }];
      await store.insertNative('predictions', NATIVE_TABLES.predictions.map((c) => c.name), encodeNativeBlock(NATIVE_TABLES.predictions, rows)!);
      const [{ n }] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.t('predictions')} WHERE model = 'glob'`);
      expect(Number(n)).toBe(2);
    } finally {
      await store.close();
      fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('writes a batch of many blocks to its insert file in one request, and every row lands', async () => {
    // Each write request costs a turn of the event loop, which a burst of requests being parsed
    // holds for seconds: fs.promises.writeFile made one per 512 KiB (BENCHMARKS.md, issue 12).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-writev-'));
    const store = await createStore({ dataDir });
    const open = fs.promises.open;
    const calls = { writev: 0, write: 0 };
    const spy = vi.spyOn(fs.promises, 'open').mockImplementation(async (...args: Parameters<typeof open>) => {
      const fh = await open(...args);
      const writev = fh.writev.bind(fh);
      const write = fh.write.bind(fh);
      fh.writev = ((...a: Parameters<typeof writev>) => (calls.writev++, writev(...a))) as typeof fh.writev;
      fh.write = ((...a: unknown[]) => (calls.write++, (write as (...x: unknown[]) => unknown)(...a))) as typeof fh.write;
      return fh;
    });
    try {
      await migrate(store);
      const cols = NATIVE_TABLES.predictions;
      // 12 blocks, about 2 MiB of feature values in all.
      const blocks = Array.from({ length: 12 }, (_, k) => encodeNativeBlock(cols, Array.from({ length: 500 }, (_, i) => ({
        ts: Date.now(), model: 'writev', prediction_id: `w${k}-${i}`,
        features_num: Object.fromEntries(Array.from({ length: 20 }, (_, f) => [`f${f}`, k * 1000 + i + f / 7])),
      })))!);
      await store.insertNative('predictions', cols.map((c) => c.name), blocks);
      expect(calls).toEqual({ writev: 1, write: 0 });
      const [{ n, s }] = await store.query<{ n: number; s: number }>(`SELECT count() AS n, sum(features_num['f3']) AS s FROM ${store.t('predictions')} WHERE model = 'writev'`);
      expect(Number(n)).toBe(6000);
      expect(Number(s)).toBeCloseTo(Array.from({ length: 12 }, (_, k) => Array.from({ length: 500 }, (_, i) => k * 1000 + i + 3 / 7).reduce((a, b) => a + b, 0)).reduce((a, b) => a + b, 0), 3);
    } finally {
      spy.mockRestore();
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
