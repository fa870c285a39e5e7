/**
 * The drift HTML report at 500 columns: its size, the time to render it in Node, and the time
 * Debian's chromium takes to open it from disk (load event, and the first frame after it), median of
 * 3 fresh pages. Built from a synthetic DriftReport (test/ui/report-fixture.ts: numeric and
 * categorical columns, up to 60 categories, nulls, skipped columns); no ClickHouse needed.
 * Targets (issue 15): under 5 MB, open in under 2 s.
 *
 *   node bin/run-ts.mjs bench/drift-report.bench.ts [--columns 500] [--runs 3] [--keep]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { toHtml } from '../cli/commands/drift-report.ts';
import { CHROMIUM } from '../test/ui/report-browser.ts';
import { syntheticReport } from '../test/ui/report-fixture.ts';
import { arg, median } from './args.ts';

const COLUMNS = Number(arg('columns', '500'));
const RUNS = Math.max(1, Number(arg('runs', '3')));
const mib = (b: number) => (b / 1024 / 1024).toFixed(2);

const report = syntheticReport(COLUMNS, 42);
const renders: number[] = [];
let html = '';
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  html = toHtml(report, `Drift: synthetic, ${COLUMNS} columns`);
  renders.push(performance.now() - t);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-report-'));
const file = path.join(dir, 'report.html');
fs.writeFileSync(file, html);
const bytes = fs.statSync(file).size;
const numeric = report.columns.filter((c) => c.type === 'numeric').length;
process.stdout.write(`drift HTML report: ${COLUMNS} columns (${numeric} numeric, ${COLUMNS - numeric} categorical), ${report.skipped.length} skipped\n`);
process.stdout.write(`  size            ${mib(bytes)} MiB (${bytes.toLocaleString('en-US')} bytes; ${(bytes / COLUMNS / 1024).toFixed(1)} KiB per column)   target < 5 MB\n`);
process.stdout.write(`  render (Node)   ${median(renders).toFixed(0)} ms median of ${RUNS}\n`);

const browser = await chromium.launch(CHROMIUM);
const loads: number[] = [];
const frames: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // Strings, not functions: the TypeScript loader would add helpers the page does not have.
    loads.push(await page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd') as number);
    frames.push(await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))') as number);
    await ctx.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(`  open (chromium) load event ${median(loads).toFixed(0)} ms, first frame after it ${median(frames).toFixed(0)} ms, median of ${RUNS} (runs: ${loads.map((x) => x.toFixed(0)).join(', ')} ms)   target < 2 s\n`);
process.stdout.write(`  machine: ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
if (process.argv.includes('--keep')) process.stdout.write(`  report kept at ${file}\n`);
else fs.rmSync(dir, { recursive: true, force: true });
