import { formatDuration } from '../duration.ts';
import type { Alert } from '../types.ts';

/** Formats a value in the unit of its rule. */
export function formatValue(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  if (unit === 'ms') return `${+v.toPrecision(4)} ms`;
  if (unit === 's') return formatDuration(v * 1000);
  if (unit === 'ratio') return `${+(v * 100).toPrecision(3)}%`;
  return String(+v.toPrecision(4));
}

/** "value against threshold" text of an alert. */
export function valueText(a: Alert): string {
  const v = formatValue(a.value, a.unit);
  return a.threshold === null ? v : `${v} (threshold ${formatValue(a.threshold, a.unit)})`;
}

/** A UTC time as `2024-05-01 03:12 UTC`. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Cuts text to at most `max` characters, marking the cut. */
export function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
