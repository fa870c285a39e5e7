/**
 * How a partition's messages are cut into chunks, each written to ClickHouse as one insert under
 * one deduplication token. Pure functions: the consumer applies them message by message.
 *
 * The rule (docs/kafka.md, "Delivery"): a chunk starts at the partition's committed offset (or
 * right after the previous chunk) and ends at the first of
 *   - the last offset before the next multiple of `offsets` (floor(offset / offsets) boundaries),
 *   - the message that brings it to `maxBytes` value bytes or `maxRows` records,
 *   - the last message available when the partition is caught up and the chunk has waited
 *     `lingerMs` (a tail).
 * Before its rows are written, the chosen end is committed as metadata on the chunk's start
 * offset (the intent). A consumer that takes over the partition (restart, rebalance) reads that
 * intent and ends the chunk at the same offset, so a replayed chunk carries the same token and
 * ClickHouse drops it as a duplicate, even when the tail rule or the settings would now cut it
 * elsewhere.
 */

/** Chunk size limits. */
export interface ChunkLimits {
  /** Chunks never cross a multiple of this many offsets. */
  offsets: number;
  /** A chunk ends at the message that brings its value bytes to this many. */
  maxBytes: number;
  /** A chunk ends at the message that brings its records (rows) to this many. */
  maxRows: number;
}

/** The end recorded for the chunk that starts at the committed offset `start`. */
export interface Intent {
  start: number;
  end: number;
}

/** What the cutting rule needs to know of the chunk being filled. */
export interface ChunkExtent {
  first: number;
  last: number;
  bytes: number;
  rows: number;
}

const INTENT_PREFIX = 'modelwatch:chunk-end=';

/** The token a chunk is written under: the same offsets always give the same token. */
export function chunkToken(topic: string, partition: number, first: number, last: number): string {
  return `kafka:${topic}:${partition}:${first}-${last}`;
}

/** The first offset past the aligned boundary of the chunk that starts at `first`. */
export function boundaryAfter(first: number, offsets: number): number {
  return (Math.floor(first / offsets) + 1) * offsets;
}

/** True when the recorded intent governs a chunk whose first message is `first`. */
export function intentApplies(intent: Intent | null, first: number): intent is Intent {
  return intent !== null && first >= intent.start && first <= intent.end;
}

/** True when a message at `offset` may join the chunk (otherwise the chunk is complete and a new one starts). */
export function fitsChunk(chunk: ChunkExtent, offset: number, limits: ChunkLimits, intent: Intent | null): boolean {
  if (intentApplies(intent, chunk.first)) return offset <= intent.end;
  return offset < boundaryAfter(chunk.first, limits.offsets);
}

/** True when the chunk must be written now, before any further message. */
export function chunkFull(chunk: ChunkExtent, limits: ChunkLimits, intent: Intent | null): boolean {
  // A recorded end overrides every other rule: the replay must cut exactly where the first try did.
  if (intentApplies(intent, chunk.first)) return chunk.last >= intent.end;
  return chunk.last >= boundaryAfter(chunk.first, limits.offsets) - 1 || chunk.bytes >= limits.maxBytes || chunk.rows >= limits.maxRows;
}

/** Encodes a chunk's end as offset-commit metadata. */
export function encodeIntent(end: number): string {
  return `${INTENT_PREFIX}${end}`;
}

/** Reads an intent from the committed offset and its metadata; null when there is none. */
export function parseIntent(committedOffset: string | number | null | undefined, metadata: string | null | undefined): Intent | null {
  if (!metadata || !metadata.startsWith(INTENT_PREFIX)) return null;
  const start = Number(committedOffset);
  const end = Number(metadata.slice(INTENT_PREFIX.length));
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(end) || end < start) return null;
  return { start, end };
}
