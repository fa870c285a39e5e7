import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureObject, FeatureList } from '../../core/features.ts';
import { createStore, type Store } from '../client.ts';
import { migrate } from '../migrate.ts';
import { linesToBody } from '../spool-format.ts';
import { encodeNativeBlock } from './block.ts';
import { decodeNativeBlocks } from './decode.ts';
import { NATIVE_TABLES } from './tables.ts';

const COLUMNS = NATIVE_TABLES.predictions;
const NAMES = COLUMNS.map((c) => c.name);
let dir: string;
let asJson: Store;
let asNative: Store;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-native-'));
  asJson = await createStore({ dataDir: dir, database: 'as_json' });
  asNative = await createStore({ dataDir: dir, database: 'as_native' });
  await migrate(asJson);
  await migrate(asNative);
});
afterAll(async () => {
  await asJson?.close();
  await asNative?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const HOUR = 3600_000;
const NOW = Date.now();
// Strings as senders write them: ASCII, accents, CJK, emoji (surrogate pairs), control characters, quotes.
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom('', 'a"b\\c', 'tab\there', 'x'.repeat(200), 'é', '日本', '🙂', '\u0000\u001f'));
const float = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, -0, 1e-310, 5e-324, 1.7976931348623157e308, 0.1));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 3 });
const row = fc.record(
  {
    ts: fc.integer({ min: NOW - 50 * HOUR, max: NOW + HOUR }),
    model: fc.constantFrom('m1', 'm2'),
    version: text,
    environment: text,
    service: text,
    host: text,
    prediction_value: maybe(float),
    prediction_label: maybe(text),
    score: maybe(float),
    latency_ms: maybe(fc.double({ min: 0, max: 1e6, noNaN: true })),
    error_type: fc.constantFrom('', 'timeout'),
    features_num: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), float, { maxKeys: 25 }),
    features_cat: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), text, { maxKeys: 5 }),
    features_null: fc.array(text, { maxLength: 3 }),
    attributes: fc.dictionary(text, text, { maxKeys: 3 }),
    trace_id: text,
    span_id: text,
  },
  // Columns left out of a row take their defaults, in both formats.
  { requiredKeys: ['ts', 'model'] },
);

// The row with its feature maps as FeatureLists (`__proto__` left out, as the collector's builder does).
function withLists<R extends { features_num?: Record<string, number>; features_cat?: Record<string, string> }>(r: R) {
  const list = <V extends number | string>(m: Record<string, V> | undefined) => {
    const names = Object.keys(m ?? {}).filter((k) => k !== '__proto__');
    return new FeatureList<V>(Object.freeze(names), names.map((k) => m![k]));
  };
  return { ...r, features_num: list(r.features_num), features_cat: list(r.features_cat) };
}

async function dump(store: Store, batch: string): Promise<string[]> {
  const rows = await store.query<{ r: string }>(
    `SELECT toJSONString(tuple(* EXCEPT inserted_at)) AS r FROM ${store.t('predictions')} WHERE startsWith(prediction_id, {b:String}) ORDER BY prediction_id`,
    { b: `${batch}:` },
  );
  return rows.map((r) => r.r);
}

async function rollups(store: Store): Promise<unknown[]> {
  return store.query(
    `SELECT model, version, feature, count, sum, min, max FROM ${store.t('feature_num_1m')} FINAL ORDER BY model, version, feature, minute`,
  );
}

describe('Native blocks', () => {
  it('store exactly what the same rows as JSONEachRow store, rollups included', async () => {
    let batch = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 40 }), async (rows) => {
        const id = `b${batch++}`;
        // Every other row carries its maps as FeatureLists, as the collector builds them.
        const tagged = rows.map((r, i) => ({ ...(i % 2 ? r : withLists(r)), prediction_id: `${id}:${String(i).padStart(3, '0')}` }));
        const body = encodeNativeBlock(COLUMNS, tagged);
        expect(body).not.toBeNull();
        // The same bytes as the rows with plain objects.
        expect(encodeNativeBlock(COLUMNS, tagged.map((r) => ({ ...r, features_num: featureObject(r.features_num ?? {}), features_cat: featureObject(r.features_cat ?? {}) })))).toEqual(body);
        await asJson.insertRaw('predictions', linesToBody(tagged.map((r) => JSON.stringify(r))));
        await asNative.insertNative('predictions', NAMES, body!);
        expect(await dump(asNative, id)).toEqual(await dump(asJson, id));
      }),
      { numRuns: 30, seed: 20_261_202 },
    );
    expect(await rollups(asNative)).toEqual(await rollups(asJson));
  });

  it('refuses what JSON text cannot carry either, so those rows go as JSON and ClickHouse judges them', () => {
    const ok = { ts: NOW, model: 'm' };
    expect(encodeNativeBlock(COLUMNS, [ok])).not.toBeNull();
    for (const bad of [
      { ts: NOW, model: 'lone \ud800 surrogate' },
      { ts: NOW, model: 'm', features_cat: { c: '\udc00' } },
      { ts: Date.UTC(2300, 0, 1), model: 'm' }, // past DateTime64's range
      { ts: NOW + 0.5, model: 'm' },
      { ts: new Date(NOW).toISOString(), model: 'm' },
      { ts: NOW, model: 'm', features_num: { x: '1' } },
      { ts: NOW, model: 'm', prediction_value: '0.5' },
      { ts: NOW, model: 'm', features_null: 'x' },
    ]) {
      expect(encodeNativeBlock(COLUMNS, [ok, bad]), JSON.stringify(bad)).toBeNull();
    }
  });

  it('read back (for splits and dead letters), give the rows that were written, defaults filled in', () => {
    const defaults = { version: '', environment: '', service: '', host: '', prediction_id: '', prediction_value: null, prediction_label: null, score: null, latency_ms: null, error_type: '', features_num: {}, features_cat: {}, features_null: [], attributes: {}, trace_id: '', span_id: '' };
    fc.assert(
      fc.property(fc.array(fc.array(row, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 }), (blocks) => {
        // Several blocks one after the other, as the writer joins the writes of a batch.
        const body = Buffer.concat(blocks.map((b) => encodeNativeBlock(COLUMNS, b)!));
        const back = decodeNativeBlocks(COLUMNS, body);
        const norm = (v: unknown) => JSON.parse(JSON.stringify(v));
        expect(norm(back)).toEqual(norm(blocks.flat().map((r) => ({ ...defaults, ...r }))));
      }),
      { numRuns: 200, seed: 20_261_202 },
    );
  });

  it('write runs of rows that share a names list or a value as those rows written one by one', () => {
    // Names as the collector lets them in (no integer-like names, which an object would reorder).
    const name = fc.stringMatching(/^[a-z_][a-z0-9_é]{0,5}$/);
    const run = fc.record({
      names: fc.uniqueArray(name, { maxLength: 8 }),
      model: fc.constantFrom('m1', 'm2', 'é'),
      version: fc.constantFrom('', 'v1'),
      rows: fc.integer({ min: 1, max: 40 }),
      base: fc.integer({ min: -1000, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 6 }), (runs) => {
        const rows = runs.flatMap((r) => {
          const names = Object.freeze([...r.names]);
          return Array.from({ length: r.rows }, (_, i) => ({
            ts: NOW + i,
            model: r.model,
            version: r.version,
            features_num: new FeatureList<number>(names, names.map((_, k) => r.base + i * 31 + k + 0.25)),
            features_cat: new FeatureList<string>(names, names.map((n) => `${n}${i % 3}`)),
          }));
        });
        const body = encodeNativeBlock(COLUMNS, rows)!;
        // Plain objects have no shared names: their keys are written row by row.
        const plain = rows.map((r) => ({ ...r, features_num: featureObject(r.features_num), features_cat: featureObject(r.features_cat) }));
        expect(body).toEqual(encodeNativeBlock(COLUMNS, plain));
        const back = decodeNativeBlocks(COLUMNS, body);
        expect(back.map((r) => [r.model, r.version, r.features_num, r.features_cat])).toEqual(plain.map((r) => [r.model, r.version, r.features_num, r.features_cat]));
      }),
      { numRuns: 200, seed: 20_261_203 },
    );
  });

  it('keep every value of a block larger than the encoder scratch space (100,000 map values)', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({
      ts: NOW + i,
      model: 'big',
      latency_ms: i % 7 ? i / 3 : null,
      features_num: Object.fromEntries(Array.from({ length: 20 }, (_, f) => [`f${f}`, i * 20 + f + 0.5])),
    }));
    const back = decodeNativeBlocks(COLUMNS, encodeNativeBlock(COLUMNS, rows)!);
    expect(back.map((r) => r.features_num)).toEqual(rows.map((r) => r.features_num));
    expect(back.map((r) => r.latency_ms)).toEqual(rows.map((r) => r.latency_ms));
  });
});
