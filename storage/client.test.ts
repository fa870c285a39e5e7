import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
