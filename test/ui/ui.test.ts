/**
 * The web UI in a real browser (Debian's chromium through playwright-core) against a seeded
 * server: every page renders what the data says, the silence button creates a silence, the API
 * key is asked for once and sent as a Bearer header, pages fit a laptop screen, and no request
 * leaves the loopback interface. Screenshots of each page (1440x900) go to a temp dir, or to the
 * committed docs/img/ when MODELWATCH_UPDATE_SCREENSHOTS=1 (so a test run leaves the tree clean).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertsEngine } from '../../alerts/engine.ts';
import type { Config } from '../../core/config/schema.ts';
import type { Store } from '../../storage/client.ts';
import { driftRows } from '../../analyzer/drift/job.ts';
import { writeResults } from '../../analyzer/results.ts';
import { MINUTE, seed } from './seed.ts';
import { openUiStore, startUiServer, type UiServer } from './server.ts';

const IMG_DIR = process.env.MODELWATCH_UPDATE_SCREENSHOTS === '1'
  ? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/img')
  : fs.mkdtempSync(path.join(os.tmpdir(), 'mw-ui-shots-'));
const T = Math.floor(Date.now() / MINUTE) * MINUTE;
const KEY = 'ui-test-key-0123456789';

let srv: UiServer;
let opened: { store: Store; config: Config; dataDir: string };
let engine: AlertsEngine;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every URL the browser asked for, and those the route handler refused. */
const requested: string[] = [];
const blocked: string[] = [];
const problems: string[] = [];

const isLoopback = (u: URL) => u.protocol === 'data:' || ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);

async function newPage(ctx: BrowserContext): Promise<Page> {
  const p = await ctx.newPage();
  p.on('console', (m) => {
    // A refused API call (the key test's 401) is logged by the browser; anything else is a problem.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return p;
}

async function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'en-GB', timezoneId: 'UTC', serviceWorkers: 'block' });
  // Only the server under test may be reached: everything else is refused and recorded.
  await ctx.route('**/*', (route) => {
    const url = route.request().url();
    requested.push(url);
    if (isLoopback(new URL(url))) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return ctx;
}

/** Opens a route of the UI and waits until its page has rendered. */
async function open(p: Page, hash: string, base = srv.url): Promise<void> {
  if (p.url().startsWith(base)) {
    await p.evaluate((h) => {
      document.body.dataset.ready = 'false';
      location.hash = h;
    }, hash);
  } else {
    await p.goto(`${base}/${hash}`);
  }
  await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
}

async function shot(name: string): Promise<void> {
  fs.mkdirSync(IMG_DIR, { recursive: true });
  await page.screenshot({ path: path.join(IMG_DIR, `${name}.png`) });
}

function expectClean(): void {
  expect(blocked, 'requests outside the loopback interface').toEqual([]);
  expect(requested.filter((u) => !isLoopback(new URL(u)))).toEqual([]);
  expect(problems).toEqual([]);
}

beforeAll(async () => {
  opened = await openUiStore();
  ({ engine } = await seed(opened.store, opened.config, T));
  srv = await startUiServer(opened, { engine });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  context = await newContext({ width: 1440, height: 900 });
  page = await newPage(context);
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
});

describe('web UI', () => {
  it('models page: every model with its status', async () => {
    await open(page, '#/');
    const status = async (model: string) => page.locator(`#models-table tr[data-model="${model}"]`).getAttribute('data-status');
    expect(await page.locator('#models-table tbody tr').count()).toBe(4);
    expect(await status('fraud-detector')).toBe('drifting');
    expect(await status('churn-predictor')).toBe('alerting');
    expect(await status('search-ranker')).toBe('nodata');
    expect(await status('recommender')).toBe('healthy');
    const fraud = page.locator('#models-table tr[data-model="fraud-detector"]');
    expect(await fraud.locator('.badge').innerText()).toBe('drifting');
    expect(await fraud.innerText()).toContain('50%');
    expect(await page.locator('#models-table tr[data-model="churn-predictor"] .badge').innerText()).toBe('alerting');
    expect(await page.locator('#models-table tr[data-model="search-ranker"] .badge').innerText()).toBe('no data');
    await shot('models');
    expectClean();
  });

  it('model page: throughput, latency percentiles, error rate and GPUs', async () => {
    await page.locator('#models-table a[href="#/models/fraud-detector"]').first().click();
    await page.waitForSelector('body[data-ready="true"] [data-page="model"]');
    expect(page.url()).toContain('#/models/fraud-detector');
    const text = await page.locator('main').innerText();
    for (const s of ['fraud-detector', 'Throughput', 'Latency', 'Error rate', 'GPU utilization', 'GPU memory', 'p50 latency', 'p95 latency', 'p99 latency']) expect(text).toContain(s);
    // One uPlot chart per panel, each with its legend: p50/p95/p99 and both GPUs.
    expect(await page.locator('.uplot').count()).toBe(5);
    const legends = await page.locator('.u-legend').allInnerTexts();
    expect(legends.join('\n')).toMatch(/p50[\s\S]*p95[\s\S]*p99/);
    expect(legends.join('\n')).toContain('gpu-node-1/0 (NVIDIA A100-SXM4-80GB)');
    expect(legends.join('\n')).toContain('gpu-node-1/1');
    // 40 predictions a minute for the three hours of data inside the six-hour range: 7,200.
    expect(await page.locator('.tile', { hasText: 'Predictions (6h)' }).innerText()).toContain('7,200');
    // The range picker: the last hour (whole minutes up to now) holds at most 60 minutes of 40.
    await page.evaluate(() => (document.body.dataset.ready = 'false'));
    await page.click('nav.ranges a:text-is("1h")');
    await page.waitForSelector('body[data-ready="true"] [data-page="model"]');
    expect(page.url()).toContain('range=1h');
    const lastHour = Number((await page.locator('.tile', { hasText: 'Predictions (1h)' }).locator('.tile-value').innerText()).replace(/,/g, ''));
    expect(lastHour).toBeGreaterThan(0);
    expect(lastHour).toBeLessThanOrEqual(2400);
    expect(lastHour % 40).toBe(0);
    await shot('model');
    expectClean();
  });

  it('drift page: drift share over time, drifted features marked, reference vs current histograms', async () => {
    await open(page, '#/models/fraud-detector/drift');
    const row = (f: string) => page.locator(`#features-table tr[data-feature="${f}"]`);
    for (const f of ['amount', 'account_age_days']) {
      expect(await row(f).getAttribute('data-status')).toBe('drift');
      expect(await row(f).locator('.badge').innerText()).toBe('drifted');
    }
    for (const f of ['country', 'channel']) {
      expect(await row(f).getAttribute('data-status')).toBe('ok');
      expect(await row(f).locator('.badge').innerText()).toBe('ok');
    }
    expect(await page.locator('.tile', { hasText: 'Drifted features' }).innerText()).toContain('2 of 4');
    expect(await page.locator('.tile', { hasText: 'Verdict' }).innerText()).toContain('dataset drift');
    // The share chart and the histogram of the first drifted feature, selected.
    expect(await page.locator('.uplot').count()).toBe(2);
    expect(await row('account_age_days').getAttribute('class')).toContain('selected');
    expect(await page.locator('.card', { hasText: 'Distribution of account_age_days' }).locator('.u-legend').innerText()).toMatch(/reference \(n=2,400\)[\s\S]*current \(n=2,400\)/);
    await row('amount').click();
    await page.waitForSelector('.card-title:has-text("Distribution of amount") .badge-drift');
    expect(page.url()).toContain('feature=amount');
    await shot('drift');
    await row('country').click();
    await page.waitForSelector('.card-title:has-text("Distribution of country") .badge-ok');
    const legend = await page.locator('.card', { hasText: 'Distribution of country' }).locator('.u-legend').innerText();
    expect(legend).toContain('reference');
    expect(await page.locator('.uplot').count()).toBe(2);
    expectClean();
  });

  it('alerts page: firing, pending and resolved; the silence button creates a silence', async () => {
    await page.click('nav.nav a:text-is("Alerts")');
    await page.waitForSelector('body[data-ready="true"] [data-page="alerts"]');
    const firing = page.locator('#firing-table tr[data-rule="HighErrorRate"]');
    expect(await firing.count()).toBe(1);
    expect(await firing.innerText()).toContain('model=churn-predictor');
    expect(await firing.locator('.badge').first().innerText()).toBe('firing');
    expect(await page.locator('#pending-table tr[data-rule="DatasetDrift"]').innerText()).toContain('model=fraud-detector');
    expect(await page.locator('#resolved-table tr[data-rule="ModelSilent"]').innerText()).toContain('model=churn-predictor');

    await firing.locator('select').selectOption('4h');
    const before = Date.now();
    await firing.locator('button[data-action="silence"]').click();
    await page.waitForSelector('#firing-table tr[data-rule="HighErrorRate"] [data-silenced="true"]');
    const res = await fetch(`${srv.url}/api/v1/silences`);
    const { silences } = (await res.json()) as { silences: { matchers: string[]; endsAt: string; status: { state: string }; createdBy: string }[] };
    expect(silences).toHaveLength(1);
    expect(silences[0].status.state).toBe('active');
    expect(silences[0].matchers).toEqual(expect.arrayContaining(['alertname="HighErrorRate"', 'model="churn-predictor"', 'severity="critical"']));
    expect(silences[0].createdBy).toBe('web UI');
    const ends = Date.parse(silences[0].endsAt);
    expect(ends).toBeGreaterThanOrEqual(before + 4 * 3600_000 - 1000);
    expect(ends).toBeLessThanOrEqual(Date.now() + 4 * 3600_000);
    expect(await page.locator('#silences-table tbody tr').count()).toBe(1);
    await shot('alerts');
    expectClean();
  });

  it('fits a 1366x768 laptop screen without horizontal scrolling', async () => {
    const ctx = await newContext({ width: 1366, height: 768 });
    const p = await newPage(ctx);
    for (const hash of ['#/', '#/models/fraud-detector', '#/models/fraud-detector/drift', '#/alerts']) {
      await open(p, hash);
      const [scroll, client] = await p.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(scroll, hash).toBeLessThanOrEqual(client);
    }
    await ctx.close();
    expectClean();
  });

  it('asks for an API key once, keeps it for the tab and sends it as a Bearer header', async () => {
    // A second server over the same data with an API key configured: the collector's own auth.
    const hash = `sha256:${createHash('sha256').update(KEY).digest('hex')}`;
    const config = { ...opened.config, auth: { ...opened.config.auth, keys: [{ id: 'ui-test', hash, tenants: [], models: [], access: ['read' as const] }] } };
    const keyed = await startUiServer(opened, { engine, config, shared: true });
    const ctx = await newContext({ width: 1440, height: 900 });
    const p = await newPage(ctx);
    const sent: (string | undefined)[] = [];
    p.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) sent.push(r.headers().authorization);
    });
    try {
      // Without a key the API refuses; the page itself loads.
      expect((await fetch(`${keyed.url}/api/v1/overview`)).status).toBe(401);
      expect((await fetch(`${keyed.url}/`)).status).toBe(200);
      await p.goto(`${keyed.url}/#/`);
      await p.waitForSelector('form.dialog input[type="password"]');
      expect(await p.locator('body').getAttribute('data-ready')).toBe('false');
      await p.fill('#api-key', 'wrong-key');
      await p.click('form.dialog button[type="submit"]');
      // A refused key is asked for again, saying so.
      await p.waitForSelector('form.dialog:has-text("refused")');
      await p.fill('#api-key', KEY);
      await p.click('form.dialog button[type="submit"]');
      await p.waitForSelector('body[data-ready="true"] #models-table');
      expect(await p.locator('form.dialog').count()).toBe(0);
      expect(await p.locator('#models-table tbody tr').count()).toBe(4);
      expect(await p.evaluate(() => sessionStorage.getItem('modelwatch.apiKey'))).toBe(KEY);
      // Later pages send the key without asking.
      sent.length = 0;
      await open(p, '#/models/recommender', keyed.url);
      expect(await p.locator('form.dialog').count()).toBe(0);
      expect(sent.length).toBeGreaterThanOrEqual(4);
      expect(new Set(sent)).toEqual(new Set([`Bearer ${KEY}`]));
    } finally {
      await ctx.close();
      await keyed.stop();
    }
    expectClean();
  });

  it('drift page: columns the job could not compare are listed with their reason', async () => {
    // The latest window of churn-predictor as if compared against a reference file: two columns only on one side.
    const window = { from: new Date(T - 60 * MINUTE), to: new Date(T) };
    await writeResults(opened.store, driftRows({ model: 'churn-predictor', version: 'v1', window, reference: { kind: 'previous' } }, {
      columns: [{ column: 'tenure_months', type: 'numeric', method: 'wasserstein', statistic: 0.02, p_value: null, threshold: 0.1, drift: false, status: 'ok', path: 'sketch', reference_n: 900, current_n: 800 }],
      dataset: { columns: 1, drifted: 0, share: 0, drift: false, threshold: 0.5 },
      nullRates: [], schema: { added: ['tier'], removed: ['zip'], typeChanged: [] },
      skipped: [{ column: 'zip', reason: 'only in reference' }, { column: 'tier', reason: 'only in current' }],
      referenceRows: 900, currentRows: 800,
    }));
    await open(page, '#/models/churn-predictor/drift');
    expect(await page.locator('#features-table tr[data-feature="tenure_months"]').count()).toBe(1);
    const skipped = await page.locator('#skipped-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(skipped).toEqual([['zip', 'only in reference'], ['tier', 'only in current']]);
    expect(await page.locator('.skipped .card-sub').innerText()).toContain('Not compared (2)');
    expectClean();
  });
});
