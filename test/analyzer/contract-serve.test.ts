/**
 * The data contract of `modelwatch check` given to the analyzer (`serve --contract`,
 * `analyzer.contractFile`): every window of every model version is judged against it and the
 * verdicts are quality result rows. Predictions go through the collector, as a model server sends them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAnalyzer } from '../../analyzer/scheduler.ts';
import { readResults } from '../../analyzer/results.ts';
import { loadConfig } from '../../core/config/load.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { prng } from './seed.ts';

const MINUTE = 60_000;
let server: TestServer;
let dir: string;
const silent = { info() {}, warn() {}, error() {} };
// The window the analyzer judges: the 10 whole minutes before "now".
const now = new Date(Math.floor(Date.now() / MINUTE) * MINUTE);
const window = { from: new Date(now.getTime() - 10 * MINUTE), to: now };

const CONTRACT = `version: 1
columns:
  amount: { type: numeric, nullable: false, min: 0, max: 1000 }
  country: { type: categorical, categories: [DE, FR, US] }
  age: { type: numeric, max_null_rate: 0.05 }
  score: { type: numeric }
  tier: { type: categorical }
`;

beforeAll(async () => {
  server = await startTestServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-contract-'));
  const rand = prng(11);
  const lines: string[] = [];
  for (let i = 0; i < 600; i++) {
    const ms = window.from.getTime() + Math.floor((i / 600) * 10 * MINUTE);
    const features: Record<string, number | string | null> = {
      // Seeded violations: amount above its max in 3 rows, an unseen country, age null in 20% of rows,
      // score sent as text (a new type), tier missing altogether.
      amount: i < 3 ? 5000 : 10 + 100 * rand(),
      country: i % 50 === 0 ? 'XX' : ['DE', 'FR', 'US'][i % 3],
      age: i % 5 === 0 ? null : 20 + Math.floor(40 * rand()),
      score: `s${i % 4}`,
    };
    lines.push(JSON.stringify({ timestamp: ms, model: 'm', version: 'v1', id: `p${i}`, prediction: rand(), features }));
  }
  const res = await fetch(`${server.url}/v1/predictions`, { method: 'POST', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' } });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a data contract judged on live windows', () => {
  it('writes one quality row per expectation, failing exactly the seeded violations', async () => {
    const file = path.join(dir, 'contract.yaml');
    fs.writeFileSync(file, CONTRACT);
    const config = loadConfig({ overrides: { 'storage.dataDir': server.dataDir, 'analyzer.enabled': false, 'analyzer.windowMinutes': 10, 'analyzer.contractFile': file } });
    const analyzer = startAnalyzer({ store: server.store, config, log: silent });
    const summary = await analyzer.runOnce(now);
    await analyzer.stop();
    expect(summary.failed).toEqual([]);
    const rows = (await readResults(server.store, { analyzer: 'quality', model: 'm', window })).filter((r) => r.metric.startsWith('contract_'));
    const failed = rows.filter((r) => r.status === 'drift').map((r) => `${r.subject}:${r.metric}`).sort();
    expect(failed).toEqual(['age:contract_max_null_rate', 'amount:contract_max', 'country:contract_categories', 'score:contract_type', 'tier:contract_present']);
    const passed = rows.filter((r) => r.status === 'ok').map((r) => `${r.subject}:${r.metric}`).sort();
    expect(passed).toEqual(expect.arrayContaining(['amount:contract_min', 'amount:contract_not_null', 'amount:contract_type', 'country:contract_type']));
    const max = rows.find((r) => r.subject === 'amount' && r.metric === 'contract_max')!;
    expect(max).toMatchObject({ value: 1, method: 'contract', reference: `contract:${file}` });
    expect(max.details).toMatchObject({ observed: 5000, expected: 1000 });
    expect(String(max.details.message)).toContain('amount maximum is 5000, expected <= 1000');
    const cat = rows.find((r) => r.subject === 'country' && r.metric === 'contract_categories')!;
    expect(cat.details.observed).toEqual(['XX']);
  });

  it('refuses to start with a contract that is not valid, naming the file and the field', () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'version: 1\ncolumns:\n  amount: { type: numeric, min: low }\n');
    const config = loadConfig({ overrides: { 'storage.dataDir': server.dataDir, 'analyzer.enabled': false, 'analyzer.contractFile': file } });
    expect(() => startAnalyzer({ store: server.store, config, log: silent })).toThrow(/bad\.yaml:3: column "amount": min/);
    const missing = loadConfig({ overrides: { 'storage.dataDir': server.dataDir, 'analyzer.enabled': false, 'analyzer.contractFile': path.join(dir, 'nope.yaml') } });
    expect(() => startAnalyzer({ store: server.store, config: missing, log: silent })).toThrow(/nope\.yaml: no such file/);
  });
});
