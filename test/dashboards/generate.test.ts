/** The committed dashboard JSON is the generator's output, and its structure is what Grafana and the plugin expect. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JSON_DIR, generateDashboards, renderDashboard } from '../../dashboards/grafana/generate.ts';
import { DEFAULT_DATASOURCE_UID, PLUGIN_ID, SCHEMA_VERSION, type Panel } from '../../dashboards/grafana/builders.ts';

const dashboards = generateDashboards();
const GRAFANA_DIR = path.dirname(JSON_DIR);

describe('committed JSON', () => {
  it('equals the generator output, file by file (run `npm run dashboards` after changing the generator)', () => {
    const files = fs.readdirSync(JSON_DIR).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(Object.keys(dashboards).map((n) => `${n}.json`).sort());
    for (const [name, d] of Object.entries(dashboards)) {
      expect(fs.readFileSync(path.join(JSON_DIR, `${name}.json`), 'utf8'), `${name}.json`).toBe(renderDashboard(d));
    }
  });

  it('is deterministic', () => {
    expect(JSON.stringify(generateDashboards())).toBe(JSON.stringify(dashboards));
  });
});

describe('dashboard structure', () => {
  it('has stable, distinct uids and the current schema version', () => {
    const uids = Object.values(dashboards).map((d) => d.uid);
    expect(uids).toEqual(['modelwatch-overview', 'modelwatch-drift', 'modelwatch-gpu', 'modelwatch-alerts']);
    for (const d of Object.values(dashboards)) expect(d.schemaVersion).toBe(SCHEMA_VERSION);
  });

  for (const [name, d] of Object.entries(dashboards)) {
    it(`${name}: variables for data source, model, version and environment`, () => {
      const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
      expect(vars.datasource).toMatchObject({ type: 'datasource', query: PLUGIN_ID });
      for (const n of ['model', 'version', 'environment']) {
        expect(vars[n], n).toMatchObject({ type: 'query', multi: true, includeAll: true, datasource: { type: PLUGIN_ID, uid: '${datasource}' } });
        expect(vars[n].query, n).toMatchObject({ editorType: 'sql' });
        expect(String((vars[n].query as { rawSql: string }).rawSql), n).toContain('${database}.predictions');
      }
    });

    it(`${name}: every panel queries the data source variable with SQL targets of the right format`, () => {
      const panels = d.panels.filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(3);
      for (const p of panels) {
        expect(p.datasource, p.title).toEqual({ type: PLUGIN_ID, uid: '${datasource}' });
        expect(p.targets?.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets!) {
          const series = p.type === 'timeseries' || p.type === 'heatmap';
          expect(t, p.title).toMatchObject({ datasource: { type: PLUGIN_ID, uid: '${datasource}' }, editorType: 'sql', format: series ? 0 : 1, queryType: series ? 'timeseries' : 'table' });
          expect(t.rawSql.trim(), p.title).toMatch(/^SELECT /);
          // The plugin reads Grafana's time range through its macros; a panel without one would ignore the picker.
          if (!['Firing now', 'Pending now', 'Firing and pending'].includes(p.title)) expect(t.rawSql, p.title).toMatch(/\$__timeFilter\(|\$__fromTime/);
        }
      }
    });

    it(`${name}: ids are unique and panels tile the 24-column grid without overlapping`, () => {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const cells = new Set<string>();
      for (const p of d.panels as Panel[]) {
        const { x, y, w, h } = p.gridPos;
        expect(x + w, p.title).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          expect(cells.has(key), `${p.title} overlaps at ${key}`).toBe(false);
          cells.add(key);
        }
      }
    });
  }
});

describe('provisioning', () => {
  it('the data source file provisions the plugin with the uid the dashboards default to', () => {
    const ds = parse(fs.readFileSync(path.join(GRAFANA_DIR, 'provisioning/datasources/modelwatch.yaml'), 'utf8'));
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources[0]).toMatchObject({ type: PLUGIN_ID, uid: DEFAULT_DATASOURCE_UID, jsonData: { defaultDatabase: 'modelwatch' } });
    expect(['http', 'native']).toContain(ds.datasources[0].jsonData.protocol);
  });

  it('the dashboard provider loads files from a folder', () => {
    const p = parse(fs.readFileSync(path.join(GRAFANA_DIR, 'provisioning/dashboards/modelwatch.yaml'), 'utf8'));
    expect(p.apiVersion).toBe(1);
    expect(p.providers[0]).toMatchObject({ type: 'file', options: { path: expect.any(String) } });
  });
});
