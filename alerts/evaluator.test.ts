import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, RESOLVED_RETENTION_MS } from './evaluator.ts';
import type { EvalInput, Rule, RuleState } from './types.ts';

function rule(over: Partial<Rule> = {}): Rule {
  return {
    name: 'HighP99',
    condition: { kind: 'latency_quantile', quantile: 0.99, op: '>', value: 250, lookbackMs: 3_600_000 },
    forMs: 0, keepFiringForMs: 0, severity: 'critical', labels: { team: 'ml' },
    annotations: { summary: 'p99 of {{ $labels.model }} is {{ $value }} ms' },
    noDataState: 'OK', execErrState: 'Error', unit: 'ms', ...over,
  };
}
const sample = (value: number, model = 'fraud'): EvalInput => ({ samples: [{ labels: { model }, value }] });

describe('evaluate', () => {
  it('goes inactive -> pending -> firing -> resolved with for', () => {
    const r = rule({ forMs: 60_000 });
    let out = evaluate(r, undefined, sample(300), 0);
    const s: RuleState = out.state;
    const [only] = Object.values(s.series);
    expect(only.state).toBe('pending');
    expect(only.labels).toEqual({ model: 'fraud', team: 'ml', alertname: 'HighP99', severity: 'critical' });
    expect(out.notifications).toEqual([]);
    out = evaluate(r, s, sample(300), 30_000);
    expect(Object.values(out.state.series)[0].state).toBe('pending');
    out = evaluate(r, out.state, sample(310), 60_000);
    const fired = Object.values(out.state.series)[0];
    expect(fired.state).toBe('firing');
    expect(fired.annotations.summary).toBe('p99 of fraud is 310 ms');
    expect(out.notifications.map((n) => n.kind)).toEqual(['firing']);
    out = evaluate(r, out.state, sample(100), 90_000);
    expect(Object.values(out.state.series)[0].state).toBe('resolved');
    expect(out.notifications.map((n) => n.kind)).toEqual(['resolved']);
    expect(out.notifications[0].alert.endsAt).toBe(90_000);
  });

  it('pending that clears goes back to inactive without notifying', () => {
    const r = rule({ forMs: 60_000 });
    let out = evaluate(r, undefined, sample(300), 0);
    out = evaluate(r, out.state, sample(100), 10_000);
    expect(Object.values(out.state.series)[0].state).toBe('inactive');
    expect(out.notifications).toEqual([]);
  });

  it('keep_firing_for holds firing after the condition clears', () => {
    const r = rule({ keepFiringForMs: 120_000 });
    let out = evaluate(r, undefined, sample(300), 0);
    out = evaluate(r, out.state, sample(100), 60_000);
    expect(Object.values(out.state.series)[0].state).toBe('firing');
    out = evaluate(r, out.state, sample(100), 119_000);
    expect(Object.values(out.state.series)[0].state).toBe('firing');
    out = evaluate(r, out.state, sample(100), 120_000);
    expect(Object.values(out.state.series)[0].state).toBe('resolved');
  });

  it('keeps one series per label set', () => {
    const out = evaluate(rule(), undefined, { samples: [{ labels: { model: 'a' }, value: 300 }, { labels: { model: 'b' }, value: 10 }] }, 0);
    const states = Object.values(out.state.series).map((s) => [s.labels.model, s.state]).sort();
    expect(states).toEqual([['a', 'firing'], ['b', 'inactive']]);
  });

  it('a series that disappears resolves', () => {
    let out = evaluate(rule(), undefined, { samples: [{ labels: { model: 'a' }, value: 300 }, { labels: { model: 'b' }, value: 300 }] }, 0);
    out = evaluate(rule(), out.state, { samples: [{ labels: { model: 'a' }, value: 300 }] }, 15_000);
    const b = Object.values(out.state.series).find((s) => s.labels.model === 'b')!;
    expect(b.state).toBe('resolved');
  });

  it('applies noDataState', () => {
    const base = evaluate(rule(), undefined, sample(300), 0).state;
    expect(Object.values(evaluate(rule({ noDataState: 'OK' }), base, { samples: [] }, 1000).state.series)[0].state).toBe('resolved');
    expect(Object.values(evaluate(rule({ noDataState: 'KeepLast' }), base, { samples: [] }, 1000).state.series)[0].state).toBe('firing');
    expect(Object.values(evaluate(rule({ noDataState: 'Alerting' }), base, { samples: [] }, 1000).state.series)[0].state).toBe('firing');
    const nd = evaluate(rule({ noDataState: 'NoData' }), base, { samples: [] }, 1000);
    expect(Object.values(nd.state.series)[0].state).toBe('nodata');
    // A rule that never saw data gets one rule-level series.
    const fresh = evaluate(rule({ noDataState: 'NoData' }), undefined, { samples: [] }, 0);
    expect(Object.values(fresh.state.series).map((s) => [s.state, s.labels])).toEqual([['nodata', { team: 'ml', alertname: 'HighP99', severity: 'critical' }]]);
    expect(fresh.notifications.map((n) => n.kind)).toEqual(['firing']);
  });

  it('applies execErrState', () => {
    const base = evaluate(rule(), undefined, sample(300), 0).state;
    const err = evaluate(rule({ execErrState: 'Error' }), base, { error: 'boom' }, 1000);
    expect(Object.values(err.state.series)[0]).toMatchObject({ state: 'error', error: 'boom' });
    expect(Object.values(evaluate(rule({ execErrState: 'OK' }), base, { error: 'x' }, 1000).state.series)[0].state).toBe('resolved');
    expect(Object.values(evaluate(rule({ execErrState: 'KeepLast' }), base, { error: 'x' }, 1000).state.series)[0].state).toBe('firing');
    const fresh = evaluate(rule({ execErrState: 'Alerting', forMs: 0 }), undefined, { error: 'x' }, 0);
    expect(Object.values(fresh.state.series)[0].state).toBe('firing');
  });

  it('uses the analyzer verdict when the condition has no threshold', () => {
    const r = rule({ condition: { kind: 'feature_drift', lookbackMs: 1 } });
    const out = evaluate(r, undefined, { samples: [{ labels: { model: 'm', feature: 'age' }, value: 0.4, threshold: 0.1, active: true }, { labels: { model: 'm', feature: 'x' }, value: 0.01, threshold: 0.1, active: false }] }, 0);
    expect(Object.values(out.state.series).filter((s) => s.state === 'firing').map((s) => s.labels.feature)).toEqual(['age']);
  });

  it('forgets resolved series after the retention', () => {
    let out = evaluate(rule(), undefined, sample(300), 0);
    out = evaluate(rule(), out.state, sample(1), 1000);
    out = evaluate(rule(), out.state, { samples: [{ labels: { model: 'other' }, value: 1 }] }, 1000 + RESOLVED_RETENTION_MS);
    expect(Object.values(out.state.series).map((s) => s.labels.model)).toEqual(['other']);
  });
});

describe('evaluate, properties', () => {
  // A run: a sequence of (time step, condition value or no data or error) for one series.
  const step = fc.record({
    dt: fc.integer({ min: 1, max: 120_000 }),
    input: fc.oneof(
      { weight: 8, arbitrary: fc.boolean().map((b) => ({ kind: 'value' as const, active: b })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'nodata' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'error' as const }) },
    ),
  });
  const params = fc.record({
    forMs: fc.integer({ min: 0, max: 300_000 }),
    keepFiringForMs: fc.integer({ min: 0, max: 300_000 }),
    noDataState: fc.constantFrom('OK', 'Alerting', 'NoData', 'KeepLast') as fc.Arbitrary<Rule['noDataState']>,
    execErrState: fc.constantFrom('Alerting', 'Error', 'OK', 'KeepLast') as fc.Arbitrary<Rule['execErrState']>,
  });

  function run(p: Partial<Rule>, steps: { dt: number; input: { kind: 'value'; active: boolean } | { kind: 'nodata' } | { kind: 'error' } }[]) {
    const r = rule(p);
    let state: RuleState | undefined;
    let now = 0;
    const trace: { now: number; input: (typeof steps)[number]['input']; state: string; kinds: string[]; firedAt: number | null; activeAt: number | null }[] = [];
    for (const s of steps) {
      now += s.dt;
      const input: EvalInput = s.input.kind === 'value' ? { samples: [{ labels: { model: 'm' }, value: s.input.active ? 1000 : 0 }] } : s.input.kind === 'nodata' ? { samples: [] } : { error: 'boom' };
      const out = evaluate(r, state, input, now);
      state = out.state;
      const series = Object.values(state.series).find((x) => x.labels.model === 'm');
      trace.push({ now, input: s.input, state: series?.state ?? 'gone', kinds: out.notifications.filter((n) => n.alert.labels.model === 'm').map((n) => n.kind), firedAt: series?.firedAt ?? null, activeAt: series?.activeAt ?? null });
    }
    return trace;
  }

  it('never fires on a value before `for` has elapsed since the condition began holding', () => {
    fc.assert(fc.property(params, fc.array(step, { maxLength: 40 }), (p, steps) => {
      const trace = run({ ...p, noDataState: 'OK', execErrState: 'OK' }, steps);
      let holdingSince: number | null = null;
      let prevState = 'inactive';
      for (const t of trace) {
        const active = t.input.kind === 'value' && t.input.active;
        if (active) holdingSince ??= t.now;
        if (t.state === 'firing' && prevState !== 'firing') {
          expect(holdingSince).not.toBeNull();
          expect(t.now - holdingSince!).toBeGreaterThanOrEqual(p.forMs);
        }
        if (!active && t.state !== 'firing') holdingSince = null;
        if (!active && t.state === 'firing') holdingSince = null;
        prevState = t.state;
      }
    }));
  });

  it('resolves only after firing (or nodata/error), and notifications alternate firing/resolved', () => {
    fc.assert(fc.property(params, fc.array(step, { maxLength: 40 }), (p, steps) => {
      const trace = run(p, steps);
      let prev = 'inactive';
      let open = false;
      for (const t of trace) {
        if (t.state === 'resolved' && prev !== 'resolved') expect(['firing', 'nodata', 'error']).toContain(prev);
        for (const k of t.kinds) {
          expect(k).toBe(open ? 'resolved' : 'firing');
          open = !open;
        }
        prev = t.state;
      }
    }));
  });

  it('keeps firing while the condition holds', () => {
    fc.assert(fc.property(params, fc.array(step, { maxLength: 40 }), (p, steps) => {
      const trace = run(p, steps);
      for (let i = 1; i < trace.length; i++) {
        const t = trace[i];
        if (trace[i - 1].state === 'firing' && t.input.kind === 'value' && t.input.active) expect(t.state).toBe('firing');
      }
    }));
  });

  it('keep_firing_for: a firing series stays firing until keep_firing_for has passed since it last held', () => {
    fc.assert(fc.property(params, fc.array(step, { maxLength: 40 }), (p, steps) => {
      const trace = run({ ...p, noDataState: 'KeepLast', execErrState: 'KeepLast' }, steps);
      let lastHeld: number | null = null;
      for (let i = 0; i < trace.length; i++) {
        const t = trace[i];
        if (t.input.kind === 'value' && t.input.active) lastHeld = t.now;
        if (i > 0 && trace[i - 1].state === 'firing' && t.input.kind === 'value' && !t.input.active && lastHeld !== null) {
          expect(t.state).toBe(t.now - lastHeld < p.keepFiringForMs ? 'firing' : 'resolved');
        }
      }
    }));
  });
});
