import { describe, expect, it } from 'vitest';
import { alignedWindow, chSeconds, chTime, parseChTime, previousWindow, windowParams, windowSeconds } from './window.ts';

describe('windows', () => {
  const now = new Date('2026-03-01T10:17:42.500Z');
  it('aligns to the whole minute before now', () => {
    const w = alignedWindow(now, 60);
    expect(w.from.toISOString()).toBe('2026-03-01T09:17:00.000Z');
    expect(w.to.toISOString()).toBe('2026-03-01T10:17:00.000Z');
    expect(windowSeconds(w)).toBe(3600);
  });
  it('the previous window has the same length and ends where the window starts', () => {
    const w = alignedWindow(now, 15);
    const p = previousWindow(w);
    expect(p.to).toEqual(w.from);
    expect(windowSeconds(p)).toBe(900);
  });
  it('formats and parses ClickHouse times in UTC', () => {
    expect(chTime(now)).toBe('2026-03-01 10:17:42.500');
    expect(chSeconds(now)).toBe('2026-03-01 10:17:42');
    expect(parseChTime('2026-03-01 10:17:42').toISOString()).toBe('2026-03-01T10:17:42.000Z');
    expect(windowParams({ from: now, to: now })).toEqual({ from: '2026-03-01 10:17:42.500', to: '2026-03-01 10:17:42.500' });
  });
});
