import { encodeNativeBlock } from './native/block.ts';
import { blockRows, decodeNativeBlocks } from './native/decode.ts';
import { NATIVE_TABLES } from './native/tables.ts';
import { linesToBody } from './spool-format.ts';

/**
 * The rows of one write or insert: Native blocks (tables in NATIVE_TABLES, encoded when the rows
 * are written, so the queue holds bytes off the JS heap rather than objects the GC must trace and
 * promote) or JSON lines (every other table, and rows the encoder does not take).
 */
export type Payload = { blocks: Buffer[]; rows: number; lines?: undefined } | { lines: string[]; blocks?: undefined; rows?: undefined };

/** Encodes rows for `table`: a Native block where the table has one and the rows fit it, else JSON lines. */
export function toPayload(table: string, rows: readonly object[]): Payload {
  const columns = NATIVE_TABLES[table];
  const block = columns ? encodeNativeBlock(columns, rows) : null;
  return block ? { blocks: [block], rows: rows.length } : { lines: rows.map((r) => JSON.stringify(r)) };
}

/** Rows in a payload. */
export function payloadRows(p: Payload): number {
  return p.blocks ? p.rows : p.lines.length;
}

/** Bytes a payload holds (the queue's byte limit counts these). */
export function payloadBytes(p: Payload): number {
  if (p.blocks) return p.blocks.reduce((n, b) => n + b.length, 0);
  let n = 0;
  for (const l of p.lines) n += l.length + 1;
  return n;
}

/** The insert body: the blocks one after the other (a Native stream), or JSONEachRow. */
export function payloadBody(p: Payload): Buffer {
  if (p.blocks) return p.blocks.length === 1 ? p.blocks[0] : Buffer.concat(p.blocks);
  return linesToBody(p.lines);
}

/** The rows as JSON lines (for dead letters). */
export function asLines(table: string, p: Payload): string[] {
  if (p.lines) return p.lines;
  return decodeNativeBlocks(NATIVE_TABLES[table], payloadBody(p)).map((r) => JSON.stringify(r));
}

/** Whether two payloads can share one insert. */
export function sameKind(a: Payload, b: Payload): boolean {
  return !a.blocks === !b.blocks;
}

/** One payload for the writes of a batch (all of one kind, see sameKind). */
export function joinPayloads(parts: Payload[]): Payload {
  if (parts.length === 1) return parts[0];
  if (parts[0].blocks) return { blocks: parts.flatMap((p) => p.blocks!), rows: parts.reduce((n, p) => n + p.rows!, 0) };
  return { lines: parts.flatMap((p) => p.lines!) };
}

/**
 * Splits a payload of two or more rows in two, to isolate a row ClickHouse refuses: between
 * blocks where there are several, else through the rows of the one block (read back, re-encoded).
 */
export function halves(table: string, p: Payload): [Payload, Payload] {
  if (p.lines) {
    const mid = p.lines.length >> 1;
    return [{ lines: p.lines.slice(0, mid) }, { lines: p.lines.slice(mid) }];
  }
  if (p.blocks.length > 1) {
    const mid = p.blocks.length >> 1;
    return [joinBlocks(p.blocks.slice(0, mid)), joinBlocks(p.blocks.slice(mid))];
  }
  const rows = decodeNativeBlocks(NATIVE_TABLES[table], p.blocks[0]);
  const mid = rows.length >> 1;
  return [toPayload(table, rows.slice(0, mid)), toPayload(table, rows.slice(mid))];
}

function joinBlocks(blocks: Buffer[]): Payload {
  let rows = 0;
  for (const b of blocks) rows += blockRows(b);
  return { blocks, rows };
}
