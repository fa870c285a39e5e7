import { chDateTime } from '../storage/datetime.ts';

/** A half-open time window [from, to) over which an analyzer computes. */
export interface Window {
  from: Date;
  to: Date;
}

const MINUTE = 60_000;

/** The last `minutes` whole minutes before `now`: [floor(now) - minutes, floor(now)). */
export function alignedWindow(now: Date, minutes: number): Window {
  const to = Math.floor(now.getTime() / MINUTE) * MINUTE;
  return { from: new Date(to - minutes * MINUTE), to: new Date(to) };
}

/** The window of the same length that ends where `w` starts. */
export function previousWindow(w: Window): Window {
  const len = w.to.getTime() - w.from.getTime();
  return { from: new Date(w.from.getTime() - len), to: new Date(w.from) };
}

/** Length of the window in seconds. */
export function windowSeconds(w: Window): number {
  return (w.to.getTime() - w.from.getTime()) / 1000;
}

/** Formats a date as ClickHouse DateTime64(3) text in UTC, for bound parameters. */
export function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Formats a date as ClickHouse DateTime text in UTC (whole seconds), for bound parameters. */
export const chSeconds: (d: Date) => string = chDateTime;

/** Parses ClickHouse DateTime text ('YYYY-MM-DD hh:mm:ss[.fff]', UTC) into a Date. */
export function parseChTime(s: string): Date {
  return new Date(s.replace(' ', 'T') + (s.endsWith('Z') ? '' : 'Z'));
}

/** Bound parameters shared by window queries: {from:DateTime64(3,'UTC')} and {to:...}. */
export function windowParams(w: Window): { from: string; to: string } {
  return { from: chTime(w.from), to: chTime(w.to) };
}
