import { describe, expect, it } from 'vitest';
import { boundaryAfter, chunkFull, chunkToken, encodeIntent, fitsChunk, intentApplies, parseIntent, type ChunkLimits } from './chunk.ts';

const limits: ChunkLimits = { offsets: 100, maxBytes: 1000, maxRows: 50 };
const chunk = (first: number, last: number, bytes = 0, rows = 0) => ({ first, last, bytes, rows });

describe('chunk rule', () => {
  it('cuts at multiples of `offsets`, whatever offset the chunk starts at', () => {
    expect(boundaryAfter(0, 100)).toBe(100);
    expect(boundaryAfter(99, 100)).toBe(100);
    expect(boundaryAfter(100, 100)).toBe(200);
    expect(boundaryAfter(1234, 100)).toBe(1300);
    expect(fitsChunk(chunk(150, 160), 199, limits, null)).toBe(true);
    expect(fitsChunk(chunk(150, 160), 200, limits, null)).toBe(false);
    expect(chunkFull(chunk(150, 198), limits, null)).toBe(false);
    expect(chunkFull(chunk(150, 199), limits, null)).toBe(true);
  });

  it('ends early at the byte and row limits', () => {
    expect(chunkFull(chunk(0, 10, 999, 10), limits, null)).toBe(false);
    expect(chunkFull(chunk(0, 10, 1000, 10), limits, null)).toBe(true);
    expect(chunkFull(chunk(0, 10, 0, 50), limits, null)).toBe(true);
  });

  it('a recorded intent overrides every other rule for the chunk it starts', () => {
    const intent = { start: 150, end: 155 };
    expect(intentApplies(intent, 150)).toBe(true);
    expect(intentApplies(intent, 152)).toBe(true); // a gap (compaction) before the first message
    expect(intentApplies(intent, 156)).toBe(false);
    expect(fitsChunk(chunk(150, 155), 156, limits, intent)).toBe(false);
    expect(chunkFull(chunk(150, 154), limits, intent)).toBe(false);
    expect(chunkFull(chunk(150, 155), limits, intent)).toBe(true);
    // The intent may reach past a boundary the current settings would cut at (settings changed).
    const wide = { start: 150, end: 260 };
    expect(fitsChunk(chunk(150, 199, 5000, 500), 200, limits, wide)).toBe(true);
    expect(chunkFull(chunk(150, 199, 5000, 500), limits, wide)).toBe(false);
    // After it, the ordinary rule again.
    expect(fitsChunk(chunk(261, 261), 299, limits, wide)).toBe(true);
    expect(fitsChunk(chunk(261, 261), 300, limits, wide)).toBe(false);
  });

  it('the same offsets give the same token', () => {
    expect(chunkToken('t', 3, 100, 199)).toBe('kafka:t:3:100-199');
    expect(chunkToken('t', 3, 100, 199)).toBe(chunkToken('t', 3, 100, 199));
  });

  it('intents round-trip through commit metadata; anything else is no intent', () => {
    expect(parseIntent('150', encodeIntent(155))).toEqual({ start: 150, end: 155 });
    expect(parseIntent(150, encodeIntent(150))).toEqual({ start: 150, end: 150 });
    expect(parseIntent('150', null)).toBeNull();
    expect(parseIntent('150', '')).toBeNull();
    expect(parseIntent('150', 'someone else')).toBeNull();
    expect(parseIntent('-1', encodeIntent(5))).toBeNull();
    expect(parseIntent('150', encodeIntent(149))).toBeNull();
    expect(parseIntent('150', 'modelwatch:chunk-end=x')).toBeNull();
  });
});
