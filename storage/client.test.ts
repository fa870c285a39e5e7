import { describe, expect, it } from 'vitest';
import { createStore } from './client.ts';
import { classifyInsertError } from './errors.ts';

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
