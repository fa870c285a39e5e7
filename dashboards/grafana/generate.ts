/**
 * Generates the Grafana dashboards: `npm run dashboards` writes dashboards/grafana/json/<name>.json.
 * The output depends only on this code (fixed uids, ids from panel order), so the committed files
 * can be compared with `generateDashboards()` in a test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from './builders.ts';
import { alertsDashboard } from './alerts.ts';
import { driftDashboard } from './drift.ts';
import { gpuDashboard } from './gpu.ts';
import { overviewDashboard } from './overview.ts';

/** Where the generated JSON lives, relative to this file. */
export const JSON_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'json');

/** Every dashboard by file name (without .json). */
export function generateDashboards(): Record<string, Dashboard> {
  return {
    'model-overview': overviewDashboard(),
    drift: driftDashboard(),
    gpu: gpuDashboard(),
    alerts: alertsDashboard(),
  };
}

/** The file text of a dashboard: two-space JSON and a final newline. */
export function renderDashboard(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

/** Writes every dashboard into `dir` and removes stale .json files there; returns the paths written. */
export function writeDashboards(dir = JSON_DIR): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const all = generateDashboards();
  const written: string[] = [];
  for (const [name, d] of Object.entries(all)) {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, renderDashboard(d));
    written.push(file);
  }
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith('.json') && !(f.slice(0, -5) in all)) fs.rmSync(path.join(dir, f));
  }
  return written;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  for (const f of writeDashboards()) console.log(`wrote ${path.relative(process.cwd(), f)}`);
}
