/**
 * Demo time: the simulated servers stamp everything they send one minute in the past.
 *
 * The analyzer works on whole minutes that have ended: a record stamped now is analysed only
 * after its minute closes, up to a minute later. Stamped one minute back, a record always falls
 * in a minute that has already ended, so each analyzer pass sees the traffic sent up to a couple
 * of seconds before it and a phase change shows within seconds instead of minutes.
 */
import type { HrTime } from '@opentelemetry/api';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** How far demo time runs behind the wall clock. */
export const DEMO_LAG_MS = 60_000;

/** Demo time now, ms since the epoch. */
export function demoNow(wallMs = Date.now()): number {
  return wallMs - DEMO_LAG_MS;
}

function shift(t: HrTime): HrTime {
  return [t[0] - DEMO_LAG_MS / 1000, t[1]];
}

/** Shifts every data point of an export into demo time (a copy; the SDK's own objects are left alone). */
export function toDemoTime(rm: ResourceMetrics): ResourceMetrics {
  return {
    ...rm,
    scopeMetrics: rm.scopeMetrics.map((sm) => ({
      ...sm,
      metrics: sm.metrics.map((m) => ({
        ...m,
        dataPoints: (m.dataPoints as { startTime: HrTime; endTime: HrTime }[]).map((dp) => ({ ...dp, startTime: shift(dp.startTime), endTime: shift(dp.endTime) })),
      })) as typeof sm.metrics,
    })),
  };
}

/**
 * Wraps a metric exporter so that what it sends is in demo time. Gauges are stamped by the
 * OpenTelemetry SDK when it collects them, so the shift has to happen on the way out.
 */
export function demoTimeExporter(inner: PushMetricExporter): PushMetricExporter {
  const wrapped: PushMetricExporter = {
    export: (metrics: ResourceMetrics, done: Parameters<PushMetricExporter['export']>[1]) => inner.export(toDemoTime(metrics), done),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
  if (inner.selectAggregationTemporality) wrapped.selectAggregationTemporality = inner.selectAggregationTemporality.bind(inner);
  if (inner.selectAggregation) wrapped.selectAggregation = inner.selectAggregation.bind(inner);
  return wrapped;
}
