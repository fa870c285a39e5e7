/** Helpers of the drift HTML report's browser tests: opening a report file with every request recorded, and the text-overlap check. */
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Launch options of Debian's chromium (DESIGN.md section 9). */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
};

/** An opened report: its page, every URL it asked for, and console errors or page errors. */
export interface Opened {
  ctx: BrowserContext;
  page: Page;
  url: string;
  requests: string[];
  problems: string[];
}

/** Opens a report from disk; any request other than the file itself is refused and recorded. */
export async function openReport(browser: Browser, file: string, opts: { js?: boolean; width?: number } = {}): Promise<Opened> {
  const url = pathToFileURL(file).href;
  const ctx = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: 900 }, deviceScaleFactor: 1, javaScriptEnabled: opts.js ?? true, locale: 'en-GB', timezoneId: 'UTC', serviceWorkers: 'block',
  });
  const requests: string[] = [];
  const problems: string[] = [];
  await ctx.route('**/*', (route) => {
    const u = route.request().url();
    requests.push(u);
    return u === url ? route.continue() : route.abort('blockedbyclient');
  });
  const page = await ctx.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });
  return { ctx, page, url, requests, problems };
}

/** Requests of an opened report that were not for the report file itself. */
export const foreignRequests = (o: Opened): string[] => o.requests.filter((u) => u !== o.url);

/**
 * Runs in the page (a string, so that no helper of the TypeScript loader leaks into it): every pair
 * of text elements inside each chart, taken as rotated rectangles (getBBox through getCTM), must not
 * intersect (separating-axis test). Returns how many texts were checked, how many had no size, and the pairs that touch.
 */
export const OVERLAP_JS = `(() => {
  function quad(t) {
    var b = t.getBBox(), m = t.getCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]].map(function (p) { return [m.a * p[0] + m.c * p[1] + m.e, m.b * p[0] + m.d * p[1] + m.f]; });
  }
  function apart(a, b) {
    var polys = [a, b];
    for (var k = 0; k < 2; k++) {
      for (var i = 0; i < 4; i++) {
        var p1 = polys[k][i], p2 = polys[k][(i + 1) % 4];
        var nx = p2[1] - p1[1], ny = p1[0] - p2[0], len = Math.hypot(nx, ny) || 1;
        var pa = a.map(function (p) { return (p[0] * nx + p[1] * ny) / len; });
        var pb = b.map(function (p) { return (p[0] * nx + p[1] * ny) / len; });
        if (Math.min.apply(null, pa) >= Math.max.apply(null, pb) - 0.01 || Math.min.apply(null, pb) >= Math.max.apply(null, pa) - 0.01) return true;
      }
    }
    return false;
  }
  var overlaps = [], texts = 0, empty = 0;
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var ts = Array.prototype.slice.call(svg.querySelectorAll('text'));
    var qs = ts.map(quad);
    texts += ts.length;
    ts.forEach(function (t) { var b = t.getBBox(); if (!(b.width > 0 && b.height > 0)) empty++; });
    for (var i = 0; i < ts.length; i++) for (var j = i + 1; j < ts.length; j++) {
      if (!apart(qs[i], qs[j])) overlaps.push(svg.getAttribute('aria-label') + ': "' + ts[i].textContent + '" / "' + ts[j].textContent + '"');
    }
  });
  return { texts: texts, empty: empty, overlaps: overlaps };
})()`;

/** What OVERLAP_JS returns. */
export interface OverlapResult {
  texts: number;
  empty: number;
  overlaps: string[];
}

/** Runs the overlap check in a page. */
export async function textOverlaps(page: Page): Promise<OverlapResult> {
  return (await page.evaluate(OVERLAP_JS)) as OverlapResult;
}
