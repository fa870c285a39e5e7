import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { MwError } from '../../core/errors.ts';

/** Passes bytes through until `limit` is exceeded, then fails with MW_ERR_BODY_TOO_LARGE (413). */
export class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) cb(new MwError('MW_ERR_BODY_TOO_LARGE', `more than ${this.limit} bytes after decompression`));
    else cb(null, chunk);
  }
}

/**
 * Wraps a request stream according to its Content-Encoding: gzip is inflated and capped at
 * `limit` bytes of output (so a gzip bomb stops at the cap); identity passes; others are 415.
 */
export function decodeContentEncoding(payload: NodeJS.ReadableStream, encoding: string | undefined, limit: number): NodeJS.ReadableStream {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return payload;
  if (enc !== 'gzip' && enc !== 'x-gzip') throw new MwError('MW_ERR_UNSUPPORTED_ENCODING', `${enc} (gzip or identity)`);
  const gunzip = zlib.createGunzip();
  const cap = new ByteLimit(limit) as ByteLimit & { receivedEncodedLength: number };
  // fastify checks Content-Length against this (the compressed size), not the inflated bytes.
  cap.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => (cap.receivedEncodedLength += chunk.length));
  gunzip.on('error', (err) => cap.destroy(err.message.includes('exceeds') ? err : new MwError('MW_ERR_BODY_UNDECODABLE', `gzip: ${err.message}`)));
  payload.on('error', (err) => cap.destroy(err));
  return payload.pipe(gunzip).pipe(cap);
}
