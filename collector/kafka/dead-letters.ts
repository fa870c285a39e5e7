/**
 * Poison messages: kept in the `dead_letters` table with where they came from and why, and
 * optionally copied to a dead-letter topic. They are written with their chunk, before its offsets
 * are committed, so a poison message never blocks its partition and is never lost.
 */
import crypto from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { Store } from '../../storage/client.ts';

/** A message that could not be stored. */
export interface PoisonMessage {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  error: string;
}

/** A row of the `dead_letters` table. */
export interface DeadLetterRow {
  source: 'kafka';
  topic: string;
  partition: number;
  offset: number;
  key: string;
  error: string;
  raw: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// The raw column is a String fed through JSON: valid UTF-8 goes in as text, anything else
// (a broken protobuf) as base64 with a prefix, so the bytes can be recovered exactly.
function bytesAsText(b: Buffer | null): string {
  if (b === null) return '';
  try {
    return utf8.decode(b);
  } catch {
    return `base64:${b.toString('base64')}`;
  }
}

function digest(b: Buffer | null): string {
  if (b === null) return '';
  return `sha256:${crypto.createHash('sha256').update(b).digest('hex')} bytes:${b.length}`;
}

// Parser messages quote the offending input, quotes inside quotes unescaped (V8: `Unexpected
// token 'x', "{"a": 1..." is not valid JSON`): everything from the first quote to the last goes.
function withoutQuotes(error: string): string {
  return error.replace(/["'`].*["'`]/g, '"…"');
}

/**
 * Builds the table row. With `redact`, the key and value are replaced by their SHA-256 and length
 * and quoted input is cut from the error, so no payload byte reaches the table.
 */
export function deadLetterRow(m: PoisonMessage, redact: boolean): DeadLetterRow {
  return {
    source: 'kafka',
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: redact ? digest(m.key) : bytesAsText(m.key),
    error: redact ? withoutQuotes(m.error) : m.error,
    raw: redact ? digest(m.value) : bytesAsText(m.value),
  };
}

/** Writes poison messages to `dead_letters` and, when configured, to a dead-letter topic. */
export class DeadLetterSink {
  constructor(
    private readonly store: Store,
    private readonly opts: { redact: boolean; dlqTopic?: string; producer?: Producer },
  ) {}

  /**
   * Stores the poison messages of one chunk (one topic-partition). A replayed chunk adds nothing:
   * the insert carries the chunk's token, and offsets already in the table are skipped (the table
   * keeps no deduplication window of its own in embedded mode).
   */
  async write(letters: PoisonMessage[], token: string): Promise<void> {
    if (letters.length === 0) return;
    const { topic, partition } = letters[0];
    const offsets = letters.map((l) => l.offset);
    const present = await this.store.query<{ offset: number }>(
      `SELECT DISTINCT offset FROM ${this.store.t('dead_letters')} WHERE source = 'kafka' AND topic = {topic:String} AND partition = {partition:Int32} AND offset >= {lo:Int64} AND offset <= {hi:Int64}`,
      { topic, partition, lo: Math.min(...offsets), hi: Math.max(...offsets) },
    );
    const seen = new Set(present.map((r) => Number(r.offset)));
    const rows = letters.filter((l) => !seen.has(l.offset)).map((l) => deadLetterRow(l, this.opts.redact));
    if (rows.length) await this.store.insert('dead_letters', rows, { dedupToken: `${token}:dead_letters` });
    if (this.opts.dlqTopic && this.opts.producer) {
      // The topic mirrors the source topic's bytes (same trust domain); delivery there is at least once.
      await this.opts.producer.send({
        topic: this.opts.dlqTopic,
        acks: -1,
        messages: letters.map((l) => ({
          key: l.key,
          value: l.value,
          headers: { 'modelwatch.source.topic': l.topic, 'modelwatch.source.partition': String(l.partition), 'modelwatch.source.offset': String(l.offset), 'modelwatch.error': l.error.slice(0, 1000) },
        })),
      });
    }
  }
}
