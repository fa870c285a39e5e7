import { describe, expect, it } from 'vitest';
import { decodeMessage } from './decode.ts';
import { deadLetterRow } from './dead-letters.ts';
import { brokerList, parseTopicsSpec } from './options.ts';

const now = Date.UTC(2026, 0, 1);

describe('decodeMessage', () => {
  it('reads NDJSON predictions, keeping valid lines beside invalid ones', () => {
    const d = decodeMessage('predictions', Buffer.from('{"model":"m","id":"a","features":{"x":1}}\n{"id":"no-model"}\n'), now);
    expect(d.kind).toBe('predictions');
    if (d.kind !== 'predictions') return;
    expect(d.rows.map((r) => r.prediction_id)).toEqual(['a']);
    expect(d.rejected).toBe(1);
    expect(d.records).toBe(2);
  });

  it('calls a message poison when it is empty, undecodable, or every record is invalid', () => {
    expect(decodeMessage('predictions', null)).toEqual({ kind: 'poison', error: 'empty message' });
    expect(decodeMessage('predictions', Buffer.alloc(0))).toEqual({ kind: 'poison', error: 'empty message' });
    expect(decodeMessage('predictions', Buffer.from('[1,')).kind).toBe('poison');
    expect(decodeMessage('predictions', Buffer.from('\n\n')).kind).toBe('poison');
    const all = decodeMessage('predictions', Buffer.from('{"id":1}\n{"id":2}'));
    expect(all.kind === 'poison' && all.error).toMatch(/^every record is invalid: line 1: model name missing/);
    expect(decodeMessage('otlp-logs', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x01])).kind).toBe('poison');
  });

  it('accepts an empty OTLP request (nothing to store, nothing wrong)', () => {
    expect(decodeMessage('otlp-logs', Buffer.from([0x00]).subarray(0, 0))).toEqual({ kind: 'poison', error: 'empty message' });
    const d = decodeMessage('otlp-logs', Buffer.from([0x0a, 0x00]));
    expect(d).toEqual({ kind: 'otlp-logs', resourceLogs: [expect.anything()], records: 0 });
  });
});

describe('deadLetterRow', () => {
  const m = { topic: 't', partition: 2, offset: 41, key: Buffer.from('k1'), value: Buffer.from('{"model": "x", "ssn": "123"'), error: `Unexpected token 'x', "{"model": "x"..." is not valid JSON` };

  it('keeps UTF-8 payloads as text and other bytes as base64', () => {
    expect(deadLetterRow(m, false)).toEqual({ source: 'kafka', topic: 't', partition: 2, offset: 41, key: 'k1', error: m.error, raw: '{"model": "x", "ssn": "123"' });
    const bin = deadLetterRow({ ...m, key: null, value: Buffer.from([0xff, 0x00, 0x80]) }, false);
    expect(bin.raw).toBe('base64:/wCA');
    expect(bin.key).toBe('');
  });

  it('redacted: digests instead of payloads, quoted input cut from the error', () => {
    const r = deadLetterRow(m, true);
    expect(r.raw).toMatch(/^sha256:[0-9a-f]{64} bytes:27$/);
    expect(r.key).toMatch(/^sha256:[0-9a-f]{64} bytes:2$/);
    expect(r.error).not.toContain('model');
    expect(r.error).toContain('is not valid JSON');
  });
});

describe('options', () => {
  it('parses --topics and broker lists', () => {
    expect(parseTopicsSpec('predictions:a, otlp-logs:b,predictions:c')).toEqual({ predictions: ['a', 'c'], otlpLogs: ['b'] });
    expect(() => parseTopicsSpec('logs:a')).toThrow(/FORMAT:TOPIC/);
    expect(() => parseTopicsSpec('predictions:bad topic')).toThrow(/FORMAT:TOPIC/);
    expect(brokerList('a:1, b:2,')).toEqual(['a:1', 'b:2']);
    expect(brokerList(['a:1'])).toEqual(['a:1']);
    expect(brokerList(undefined)).toEqual([]);
  });
});
