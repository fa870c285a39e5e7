/**
 * The chunk being filled for one partition: decoded rows (or OTLP resource logs) and poison
 * messages, with the extent the cutting rule (chunk.ts) looks at.
 */
import type { PredictionRow } from '../predictions/record.ts';
import type { ChunkExtent } from './chunk.ts';
import { decodeMessage, type TopicFormat } from './decode.ts';
import type { PoisonMessage } from './dead-letters.ts';

const MAX_ERRORS = 5;

/** A chunk in memory: its extent, its decoded content and when it was opened. */
export interface OpenChunk extends ChunkExtent {
  /** Messages taken (offsets may have gaps: compaction, transaction markers). */
  messages: number;
  /** Date.now() when the first message was taken: a tail waits `lingerMs` from here. */
  since: number;
  predictions: PredictionRow[];
  rejected: number;
  errors: string[];
  resourceLogs: unknown[];
  poison: PoisonMessage[];
}

/** One message as the buffer needs it. */
export interface InputMessage {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** Opens an empty chunk at `offset`. */
export function openChunk(offset: number, now = Date.now()): OpenChunk {
  return { first: offset, last: offset, bytes: 0, rows: 0, messages: 0, since: now, predictions: [], rejected: 0, errors: [], resourceLogs: [], poison: [] };
}

/** Decodes a message into the chunk; returns true when it was poison. */
export function takeMessage(c: OpenChunk, format: TopicFormat, topic: string, partition: number, m: InputMessage): boolean {
  const d = decodeMessage(format, m.value);
  c.last = m.offset;
  c.messages++;
  c.bytes += m.value?.length ?? 0;
  switch (d.kind) {
    case 'predictions':
      for (const r of d.rows) c.predictions.push(r);
      c.rejected += d.rejected;
      for (const e of d.errors) if (c.errors.length < MAX_ERRORS) c.errors.push(`offset ${m.offset}: ${e}`);
      c.rows += d.records;
      return false;
    case 'otlp-logs':
      for (const rl of d.resourceLogs) c.resourceLogs.push(rl);
      c.rows += d.records;
      return false;
    case 'poison':
      c.poison.push({ topic, partition, offset: m.offset, key: m.key, value: m.value, error: d.error });
      c.rows += 1;
      return true;
  }
}
