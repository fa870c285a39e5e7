/**
 * The drift HTML report (`modelwatch drift --format html`) opened from disk in Debian's chromium:
 * reports made by the CLI, as a child process, from the pandas-written fixtures (drift in one column,
 * skipped columns, no shared column) and from two small CSVs with unseen categories and nulls. It
 * checks the verdicts, summary rows and reasons, that no request leaves the page, that no two texts
 * of a chart overlap (tick labels as rotated boxes), and that the summary reads with JavaScript off.
 * Screenshots go to a temp dir, or to docs/img/ when MODELWATCH_UPDATE_SCREENSHOTS=1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHtml } from '../../cli/commands/drift-report.ts';
import { runCommand } from '../helpers/cli.ts';
import { CHROMIUM, foreignRequests, openReport, textOverlaps, type Opened } from './report-browser.ts';
import { syntheticReport } from './report-fixture.ts';

const F = path.resolve('test/fixtures/drift-files');
const IMG_DIR = process.env.MODELWATCH_UPDATE_SCREENSHOTS === '1'
  ? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/img')
  : fs.mkdtempSync(path.join(os.tmpdir(), 'mw-report-shots-'));

let dir: string;
let browser: Browser;
const made: Record<string, { file: string; code: number; stderr: string }> = {};
const opened: Opened[] = [];

/** Runs `modelwatch drift --format html` in its own process; resolves with the report file and the exit status. */
async function report(name: string, ref: string, cur: string, ...flags: string[]): Promise<void> {
  const file = path.join(dir, `${name}.html`);
  const r = await runCommand('test/analyzer/run-drift-cli.ts', 'drift', ['--reference', ref, '--current', cur, '--format', 'html', '--out', file, '--fail-on', 'never', ...flags]);
  made[name] = { file, code: r.code, stderr: r.stderr };
}

/** Two small CSVs: `plan` gains two categories and many nulls, `city` has 30 categories, `amount` is unchanged. */
function writeCategorical(): { ref: string; cur: string } {
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = (items: [string, number][]) => {
    let u = rnd();
    for (const [v, p] of items) if ((u -= p) < 0) return v;
    return items[items.length - 1][0];
  };
  const cities = Array.from({ length: 30 }, (_, i) => (i === 3 ? 'Saint-Rémy-de-Provence (Bouches-du-Rhône)' : `city_${String(i).padStart(2, '0')}`));
  const rows = (current: boolean) => {
    const out = ['plan,device,city,amount'];
    for (let i = 0; i < 1500; i++) {
      const plan = rnd() < (current ? 0.15 : 0.02) ? ''
        : current ? pick([['basic', 0.45], ['pro', 0.25], ['enterprise', 0.15], ['trial', 0.1], ['student', 0.05]]) : pick([['basic', 0.5], ['pro', 0.3], ['enterprise', 0.2]]);
      const device = pick([['ios', 0.4], ['android', 0.45], ['web', 0.15]]);
      const city = cities[Math.min(29, Math.floor(-Math.log(1 - rnd()) * 6))];
      const amount = (50 + 20 * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())).toFixed(2);
      out.push(`${plan},${device},"${city}",${amount}`);
    }
    return `${out.join('\n')}\n`;
  };
  const out = { ref: path.join(dir, 'cat_ref.csv'), cur: path.join(dir, 'cat_cur.csv') };
  fs.writeFileSync(out.ref, rows(false));
  fs.writeFileSync(out.cur, rows(true));
  return out;
}

async function open(name: string, opts: { js?: boolean } = {}): Promise<Page> {
  const o = await openReport(browser, made[name].file, opts);
  opened.push(o);
  return o.page;
}

async function shot(page: Page, name: string, selector?: string): Promise<void> {
  fs.mkdirSync(IMG_DIR, { recursive: true });
  if (selector) await page.locator(selector).first().screenshot({ path: path.join(IMG_DIR, `${name}.png`) });
  else {
    // The top of the report: reading a section scrolls it into view.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(IMG_DIR, `${name}.png`) });
  }
}

/** No request but the file itself, no script error, and no overlapping text in any chart. */
async function expectClean(page: Page): Promise<void> {
  const o = opened.find((x) => x.page === page)!;
  expect(foreignRequests(o)).toEqual([]);
  expect(o.problems).toEqual([]);
  const t = await textOverlaps(page);
  expect(t.empty).toBe(0);
  expect(t.overlaps).toEqual([]);
}

/** innerText of part of a section: sections off screen are not laid out (content-visibility: auto), so show it first. */
async function seen(l: Locator): Promise<string> {
  await l.scrollIntoViewIfNeeded();
  await expect.poll(() => l.innerText()).not.toBe('');
  return l.innerText();
}

const rowsOf = (page: Page) => page.locator('#summary tbody tr').evaluateAll((trs) => trs.map((tr) => ({
  column: tr.getAttribute('data-column'), verdict: tr.querySelector('.badge')?.textContent, cells: Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent ?? ''),
})));
const skippedOf = (page: Page) => page.locator('#skipped tbody tr')
  .evaluateAll((trs) => Object.fromEntries(trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent))));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-report-'));
  const cat = writeCategorical();
  // Two at a time: each run starts an embedded ClickHouse.
  await Promise.all([report('shift', path.join(F, 'ref.csv'), path.join(F, 'cur_shift.csv')), report('schema', path.join(F, 'schema_ref.csv'), path.join(F, 'schema_cur.csv'))]);
  await Promise.all([report('none', path.join(F, 'ref.csv'), path.join(F, 'schema_cur.csv')), report('cat', cat.ref, cat.cur)]);
  await report('options', path.join(F, 'ref.csv'), path.join(F, 'cur_shift.csv'), '--method', 'ks', '--correction', 'bh', '--column-threshold', 'amount=0.01', '--column-method', 'country=chisquare');
  fs.writeFileSync(path.join(dir, 'synthetic.html'), toHtml(syntheticReport(40, 7, { quantiles: true }), 'Drift: synthetic'));
  made.synthetic = { file: path.join(dir, 'synthetic.html'), code: 0, stderr: '' };
  browser = await chromium.launch(CHROMIUM);
});

afterAll(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('drift HTML report in chromium', () => {
  it('the overlap check itself finds overlapping and rotated labels', async () => {
    const page = await open('none');
    await page.evaluate(() => {
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('class', 'chart');
      svg.setAttribute('aria-label', 'probe');
      svg.innerHTML = '<text x="10" y="20">65.61..87.28</text><text x="40" y="20">87.28..91.75</text><text x="200" y="60" transform="rotate(-45 200 60)">a long rotated label</text><text x="215" y="60" transform="rotate(-45 215 60)">another one</text>';
      document.body.append(svg);
    });
    const t = await textOverlaps(page);
    expect(t.overlaps).toEqual(['probe: "65.61..87.28" / "87.28..91.75"', 'probe: "a long rotated label" / "another one"']);
  });

  it('drift in one column: the verdict, the summary with drifted first, and per column its charts, quantiles and score', async () => {
    expect(made.shift.code).toBe(0);
    const page = await open('shift');
    expect(await page.locator('#verdict').getAttribute('data-verdict')).toBe('ok');
    expect(await page.locator('#verdict').innerText()).toMatch(/No dataset drift\s+1 of 7 compared columns drifted \(14\.3%\); the dataset drifts when 50% or more do/);
    const rows = await rowsOf(page);
    expect(rows.map((r) => r.column)).toEqual(['amount', 'count', 'count_f', 'country', 'flag', 'score', 'small']);
    expect(rows.map((r) => r.verdict)).toEqual(['drift', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(rows[0].cells.slice(0, 7)).toEqual(['amount', 'numeric', 'wasserstein', '0.208', '–', '≥ 0.1', 'drift']);
    expect(rows.find((r) => r.column === 'count')!.cells[8]).toBe('2.5% / 2.9%');
    expect(await skippedOf(page)).toEqual({ '""': 'index column (as pandas writes it)' });
    // Sources with their row counts, and the settings.
    expect(await page.locator('.tiles').innerText()).toMatch(/ref\.csv\s+5,000 rows · 392 KiB/);
    expect(await page.locator('dl.settings').innerText()).toContain('Correction\nnone');
    // The amount section: two charts (bins, CDFs), the quantile table and what the score means.
    const amount = page.locator('section.col', { has: page.locator('.cn', { hasText: /^amount$/ }) });
    expect(await amount.getAttribute('id')).toBe('c1');
    expect(await amount.locator('svg.chart').count()).toBe(2);
    expect(await seen(amount.locator('.explain'))).toBe('Wasserstein distance in reference standard deviations: turning one distribution into the other moves a value by 0.208 reference SD on average: drift (score ≥ 0.1).');
    expect(await amount.locator('table.q tbody tr').count()).toBe(9);
    // Exact quantiles of both sides (all values were read): no estimate marks.
    expect(await seen(amount.locator('table.q tbody tr').first())).toMatch(/^1%\s+64\.25\s+69\.15\s+\+4\.89$/);
    expect(await seen(amount.locator('table.q'))).not.toContain('≈');
    expect(await amount.locator('svg.chart').first().locator('text').allTextContents()).toEqual(expect.arrayContaining(['42.82', '81.09', '160.9', 'share of values', 'amount (bin edges)']));
    // With the exact quantiles, the CDFs are drawn through them.
    expect(await seen(amount.locator('figure').nth(1))).toContain("Cumulative distributions: share of each side's values ≤ x");
    // Infinite values and nulls of score.
    const nulls = page.locator('section.col', { has: page.locator('.cn', { hasText: /^score$/ }) }).locator('.nulls');
    expect(await seen(nulls)).toMatch(/reference\s+0\.76%\s+38 of 5,000 rows[\s\S]*Infinite values, left out of every statistic: 10 in reference, 10 in current/);
    await expectClean(page);
    await shot(page, 'drift-report');
    await shot(page, 'drift-report-numeric', '#c1');
  });

  it('skipped columns: every one with its reason, and the resolved type conflict noted', async () => {
    const page = await open('schema');
    expect(await skippedOf(page)).toEqual({
      '""': 'index column (as pandas writes it)', only_ref: 'only in reference', mixed: 'types differ: Int64 vs String', all_null: 'all null', only_cur: 'only in current',
    });
    const rows = await rowsOf(page);
    expect(rows.map((r) => [r.column, r.verdict, r.cells[2]])).toEqual([['int_vs_float', 'drift', 'ks'], ['x', 'ok', 'ks']]);
    expect(await seen(page.locator('#c1 .note'))).toBe('Note: integer vs float: compared as Float64');
    expect(await seen(page.locator('#c1 .explain'))).toMatch(/^Kolmogorov–Smirnov: the largest gap between the two cumulative distributions is 17\.7% of the values \(D = 0\.177\); p = .* drift \(p < 0\.05\)\.$/);
    expect(await seen(page.locator('#c2 .explain'))).toMatch(/: no drift \(drift needs p < 0\.05\)\.$/);
    expect(await page.locator('#verdict').getAttribute('data-verdict')).toBe('drift');
    await expectClean(page);
  });

  it('says which methods, thresholds and correction were set, and which p-values were corrected', async () => {
    const page = await open('options');
    const settings = await page.locator('dl.settings').innerText();
    expect(settings).toContain('Used: ks × 5, chisquare × 1, jensenshannon × 1.');
    expect(settings).toContain('Set for this report: method ks for every column it applies to; country: chisquare; amount: threshold 0.01.');
    expect(settings).toContain('Benjamini–Hochberg (false discovery rate) over the 6 p-value columns; distances are not corrected.');
    const rows = await rowsOf(page);
    expect(rows[0].cells.slice(0, 7)).toEqual(['amount', 'numeric', 'ks', '0.0808', '7.7e-14', 'p < 0.01', 'drift']);
    expect(await seen(page.locator('#c1 .explain'))).toMatch(/^Kolmogorov–Smirnov: .* p = 7\.7e-14 \(bh-corrected; 1\.3e-14 before\) is the chance/);
    await expectClean(page);
  });

  it('no shared column: says that nothing could be compared (exit status 2), with every column and its reason', async () => {
    expect(made.none.code).toBe(2);
    const page = await open('none');
    expect(await page.locator('#verdict').getAttribute('data-verdict')).toBe('none');
    const verdict = await page.locator('#verdict').innerText();
    expect(verdict).toContain('No column could be compared.');
    expect(verdict).toContain('The two sides share no column');
    expect(verdict).not.toMatch(/0 of 0|Dataset drift/);
    expect(await page.locator('#summary').count()).toBe(0);
    expect(await page.locator('#summary-empty').innerText()).toBe('No column was compared.');
    const skipped = await skippedOf(page);
    expect(Object.keys(skipped)).toHaveLength(13);
    expect(skipped).toMatchObject({ amount: 'only in reference', country: 'only in reference', only_cur: 'only in current', x: 'only in current' });
    await expectClean(page);
    await shot(page, 'drift-report-none');
  });

  it('categorical columns: unseen categories, null rates with the flagged rise, top categories and "other"', async () => {
    const page = await open('cat');
    const rows = await rowsOf(page);
    const plan = rows.find((r) => r.column === 'plan')!;
    expect(plan.verdict).toBe('drift');
    expect(plan.cells[8]).toMatch(/^\d\.\d% \/ 1\d\.\d% ▲$/);
    expect(plan.cells[9]).toBe('2');
    expect(rows[0].column).toBe('plan');
    const sec = page.locator('section.col', { has: page.locator('.cn', { hasText: /^plan$/ }) });
    expect(await seen(sec.locator('.unseen'))).toMatch(/^2 categories only in current \(unseen in reference; share of current\): student \d+\.\d%, trial \d+\.\d%$/);
    expect(await seen(sec.locator('.flag'))).toMatch(/^Null rate rose by 1\d(\.\d+)? points \(flagged above 5 points\)\.$/);
    expect(await sec.locator('svg.chart text').allTextContents()).toEqual(expect.arrayContaining(['basic', 'student (new)', 'trial (new)', 'ref', 'cur']));
    // 30 cities: the 10 largest, the other 20 summed; the long name cut to fit.
    const city = page.locator('section.col', { has: page.locator('.cn', { hasText: /^city$/ }) });
    const labels = await city.locator('svg.chart text').allTextContents();
    expect(labels).toContain('other (20)');
    expect(labels.some((l) => l.startsWith('Saint-Rémy') && l.endsWith('…'))).toBe(true);
    await expectClean(page);
    await shot(page, 'drift-report-categorical', `#${await sec.getAttribute('id')}`);
  });

  it('reads with JavaScript off; with it on, a heading sorts the summary', async () => {
    const off = await open('cat', { js: false });
    expect(await off.locator('#summary th button').count()).toBe(0);
    expect((await rowsOf(off)).map((r) => r.verdict)).toEqual(['drift', 'ok', 'ok', 'ok']);
    expect(await off.locator('svg.chart').count()).toBeGreaterThan(4);
    const on = await open('shift');
    await on.locator('#summary th button', { hasText: /^score$/ }).click();
    const asc = (await rowsOf(on)).map((r) => Number(r.cells[3]));
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    await on.locator('#summary th button', { hasText: /^score$/ }).click();
    expect((await rowsOf(on)).map((r) => r.column)[0]).toBe('amount');
    await on.locator('#summary th button', { hasText: /^column$/ }).click();
    expect((await rowsOf(on)).map((r) => r.column)).toEqual(['amount', 'count', 'count_f', 'country', 'flag', 'score', 'small']);
    await expectClean(on);
  });

  it('extreme labels (1e-5 to 1e9, long and non-Latin categories, 60 categories): no text overlaps, at any width', async () => {
    for (const width of [1280, 700]) {
      const o = await openReport(browser, made.synthetic.file, { width });
      opened.push(o);
      const t = await textOverlaps(o.page);
      expect(t.texts).toBeGreaterThan(800);
      await expectClean(o.page);
    }
  });

  it('uses the quantiles a column carries, exactly, and never writes rows', () => {
    const html = fs.readFileSync(made.synthetic.file, 'utf8');
    expect(html).toContain("Both sides' quantiles as computed by the analyzer.");
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/);
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
});
