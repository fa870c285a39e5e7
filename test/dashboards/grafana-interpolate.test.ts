/** The test emulation of Grafana's and the ClickHouse plugin's query interpolation, on known inputs. */
import { describe, expect, it } from 'vitest';
import { applyConditionalAll, expandMacros, interpolateQuery, interpolateVariables, type QueryContext } from './grafana-interpolate.ts';

const from = new Date('2026-03-01T10:00:00.250Z');
const to = new Date('2026-03-01T16:00:00.750Z');
const ctx = (vars: QueryContext['vars'] = {}, intervalMs = 60_000): QueryContext => ({ from, to, intervalMs, vars });

describe('$__conditionalAll', () => {
  const sql = "SELECT 1 WHERE $__conditionalAll(model IN (${model:sqlstring}), $model) AND $__conditionalAll((a, b) IN (SELECT a, b FROM t WHERE x IN (${env:sqlstring})), $env)";

  it('becomes 1=1 for a variable at All, stays the condition otherwise', () => {
    expect(applyConditionalAll(sql, { model: { value: ['$__all'] }, env: { value: 'prod' } }))
      .toBe("SELECT 1 WHERE 1=1 AND (a, b) IN (SELECT a, b FROM t WHERE x IN (${env:sqlstring}))");
  });

  it('becomes 1=1 for an empty value, and leaves unknown variables alone', () => {
    expect(applyConditionalAll('$__conditionalAll(x = 1, $v)', { v: { value: '' } })).toBe('1=1');
    expect(applyConditionalAll('$__conditionalAll(x = 1, $w)', {})).toBe('x = 1');
  });
});

describe('variables', () => {
  it('formats single, multi-value and All selections', () => {
    const opts = { options: ['a', 'b', 'c'] };
    expect(interpolateVariables('IN (${m:sqlstring})', { m: { value: "o'k" } })).toBe("IN ('o''k')");
    expect(interpolateVariables('IN (${m:sqlstring})', { m: { value: ['a', 'b'] } })).toBe("IN ('a','b')");
    expect(interpolateVariables('IN (${m:sqlstring})', { m: { value: ['$__all'], ...opts } })).toBe("IN ('a','b','c')");
    expect(interpolateVariables("IN (${m:singlequote})", { m: { value: ["o'k"] } })).toBe("IN ('o\\'k')");
    // No format: the plugin's own formatter quotes lists and leaves single values raw.
    expect(interpolateVariables('$m / ${m} / [[m]]', { m: { value: ['a', 'b'] } })).toBe("'a','b' / 'a','b' / 'a','b'");
    expect(interpolateVariables('${db}.t', { db: { value: 'modelwatch' } })).toBe('modelwatch.t');
  });

  it('leaves macros and unknown names for the backend', () => {
    expect(interpolateVariables('$__timeFilter(ts) AND $__interval_s AND $other', {})).toBe('$__timeFilter(ts) AND $__interval_s AND $other');
  });
});

describe('macros', () => {
  it('expand as the plugin writes them', () => {
    const s = 1772359200; // 2026-03-01T10:00:00Z
    const e = 1772380800; // 2026-03-01T16:00:00Z
    expect(expandMacros('$__timeFilter(ts)', ctx())).toBe(`ts >= toDateTime(${s}) AND ts <= toDateTime(${e})`);
    expect(expandMacros('$__timeFilter_ms(ts)', ctx())).toBe(`ts >= fromUnixTimestamp64Milli(${s}250) AND ts <= fromUnixTimestamp64Milli(${e}750)`);
    expect(expandMacros('$__dateFilter(d)', ctx())).toBe("d >= toDate('2026-03-01') AND d <= toDate('2026-03-01')");
    expect(expandMacros('$__fromTime, $__toTime, $__fromTime_ms', ctx())).toBe(`toDateTime(${s}), toDateTime(${e}), fromUnixTimestamp64Milli(${s}250)`);
    expect(expandMacros('$__timeInterval(minute) / $__interval_s', ctx({}, 300_000))).toBe('toStartOfInterval(toDateTime(minute), INTERVAL 300 second) / 300');
    expect(expandMacros('$__timeInterval_ms(ts)', ctx({}, 1500))).toBe('toStartOfInterval(toDateTime64(ts, 3), INTERVAL 1500 millisecond)');
    expect(expandMacros('$__interval_s', ctx({}, 200))).toBe('1');
  });

  it('keep nested brackets inside an argument', () => {
    expect(expandMacros('$__timeFilter(toDateTime(ts, \'UTC\'))', ctx())).toMatch(/^toDateTime\(ts, 'UTC'\) >= toDateTime\(\d+\)/);
  });

  it('run after the variables, in the plugin\'s order', () => {
    const sql = 'SELECT $__timeInterval(minute) AS t FROM ${db}.x WHERE $__timeFilter(minute) AND $__conditionalAll(m IN (${m:sqlstring}), $m)';
    expect(interpolateQuery(sql, ctx({ db: { value: 'mw' }, m: { value: ['a'] } })))
      .toBe(`SELECT toStartOfInterval(toDateTime(minute), INTERVAL 60 second) AS t FROM mw.x WHERE minute >= toDateTime(1772359200) AND minute <= toDateTime(1772380800) AND m IN ('a')`);
  });
});
