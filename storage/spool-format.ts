import zlib from 'node:zlib';

/**
 * On-disk record of the spool. Each record is framed so that a crash in the middle of an append
 * (a torn tail) or a damaged byte is detected, never read as data:
 *
 *   magic "MWS1" (4 bytes) | payload length (u32 LE) | CRC-32 of payload (u32 LE) | payload
 *   payload = header JSON {"table","token","rows","at"[,"format"]} "\n" body (the insert, verbatim)
 *
 * The body is kept exactly as it would be sent to ClickHouse, so a replay inserts the same bytes
 * under the same deduplication token. Its format is the header's `format`: "native" for Native
 * blocks (storage/native, predictions since the Native writer), absent for JSONEachRow, the only
 * format of earlier versions, whose spools therefore replay unchanged.
 */
export const MAGIC = Buffer.from('MWS1', 'latin1');
/** Bytes before the payload: magic, length, checksum. */
export const FRAME_BYTES = 12;
/** Largest payload a record may carry (a u32 length; ClickHouse batches stay far below this). */
export const MAX_PAYLOAD = 0xffff_fff0;

/** One spooled batch: where it goes, under which token, and the insert body. */
export interface SpoolEntry {
  table: string;
  token: string;
  rows: number;
  /** When it was spooled (epoch ms), for operators reading the spool. */
  at: number;
  /** JSONEachRow (one row per line, each ending with "\n"), or Native blocks with `format: 'native'`. */
  body: Buffer;
  format?: 'native';
}

/** Encodes one record (frame + payload). */
export function encodeRecord(e: SpoolEntry): Buffer {
  const header = Buffer.from(JSON.stringify({ table: e.table, token: e.token, rows: e.rows, at: e.at, ...(e.format ? { format: e.format } : {}) }) + '\n', 'utf8');
  const length = header.length + e.body.length;
  if (length > MAX_PAYLOAD) throw new RangeError(`spool record of ${length} bytes exceeds ${MAX_PAYLOAD}`);
  const frame = Buffer.alloc(FRAME_BYTES);
  MAGIC.copy(frame, 0);
  frame.writeUInt32LE(length, 4);
  frame.writeUInt32LE(zlib.crc32(e.body, zlib.crc32(header)), 8);
  return Buffer.concat([frame, header, e.body]);
}

/** What a frame says about the bytes that follow it. */
export type FrameResult =
  | { ok: true; length: number; crc: number }
  /** Fewer bytes than the frame or its payload needs: an append cut short by a crash. */
  | { torn: true }
  /** Bytes that are not a record: damage, or a write the disk reordered before a crash. */
  | { corrupt: string };

/** Reads a frame from `frame` (up to FRAME_BYTES bytes) given how many bytes remain in the file from its start. */
export function decodeFrame(frame: Buffer, remaining: number): FrameResult {
  if (remaining < FRAME_BYTES || frame.length < FRAME_BYTES) return { torn: true };
  if (!frame.subarray(0, 4).equals(MAGIC)) return { corrupt: 'bad magic' };
  const length = frame.readUInt32LE(4);
  const crc = frame.readUInt32LE(8);
  if (length > MAX_PAYLOAD) return { corrupt: `length ${length} out of range` };
  if (FRAME_BYTES + length > remaining) return { torn: true };
  return { ok: true, length, crc };
}

/** Checks and parses a payload read after a good frame. */
export function decodePayload(payload: Buffer, crc: number): SpoolEntry | { corrupt: string } {
  if (zlib.crc32(payload) !== crc) return { corrupt: 'checksum mismatch' };
  const nl = payload.indexOf(0x0a);
  if (nl < 0) return { corrupt: 'no header' };
  try {
    const h = JSON.parse(payload.subarray(0, nl).toString('utf8')) as Partial<SpoolEntry>;
    if (typeof h.table !== 'string' || typeof h.token !== 'string' || typeof h.rows !== 'number') return { corrupt: 'bad header' };
    if (h.format !== undefined && h.format !== 'native') return { corrupt: `unknown body format ${JSON.stringify(h.format)}` };
    return { table: h.table, token: h.token, rows: h.rows, at: Number(h.at) || 0, body: payload.subarray(nl + 1), ...(h.format ? { format: h.format } : {}) };
  } catch {
    return { corrupt: 'bad header' };
  }
}

/** Joins JSON lines into the insert body the spool stores. */
export function linesToBody(lines: readonly string[]): Buffer {
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

/** Splits an insert body back into its lines (to isolate a bad row during a replay). */
export function bodyToLines(body: Buffer): string[] {
  return body.toString('utf8').split('\n').filter((l) => l.length > 0);
}

/** Segment file name for a sequence number: zero-padded so names sort in append order. */
export function segmentName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.seg`;
}

/** The sequence number of a segment file name, or null for any other file. */
export function segmentSeq(name: string): number | null {
  const m = /^(\d{12})\.seg$/.exec(name);
  return m ? Number(m[1]) : null;
}
