/**
 * A growable little-endian byte buffer with the primitives of ClickHouse's Native format
 * (LEB128 lengths, length-prefixed UTF-8 strings, 64-bit integers and floats).
 *
 * Written by hand: no maintained npm package writes ClickHouse's Native format (@clickhouse/client
 * sends text formats and raw streams only), and the format's primitives are a few lines each.
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned LEB128, as ClickHouse writes lengths and counts (`writeVarUInt`). */
  varUInt(v: number): void {
    this.ensure(10);
    const b = this.buf;
    while (v >= 0x80) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[this.pos++] = v;
  }

  /** A non-negative integer below 2^53 as UInt64 (also Int64: the sign bit is clear). */
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.buf.writeUInt32LE(Math.floor(v / 4294967296), this.pos + 4);
    this.pos += 8;
  }

  /**
   * A length-prefixed UTF-8 string (ClickHouse `String`). False, with nothing written, for a string
   * with a lone surrogate, which has no UTF-8 form.
   */
  string(s: string): boolean {
    const len = s.length;
    // Short ASCII strings (names, ids, categories) are copied here: cheaper than a call into C++.
    if (len < 128) {
      this.ensure(1 + len * 3);
      const b = this.buf;
      let p = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === len) {
        b[this.pos] = len;
        this.pos = p;
        return true;
      }
    }
    if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) return false;
    const n = Buffer.byteLength(s, 'utf8');
    this.varUInt(n);
    this.ensure(n);
    this.pos += this.buf.utf8Write(s, this.pos);
    return true;
  }

  /** Copies the bytes of a Float64Array's first `n` values (little-endian machines only). */
  f64s(values: Float64Array, n: number): void {
    const bytes = n * 8;
    this.ensure(bytes);
    this.buf.set(new Uint8Array(values.buffer, values.byteOffset, bytes), this.pos);
    this.pos += bytes;
  }

  /**
   * Writes the bytes from `start` to the end `count` more times. A column's values are contiguous,
   * so a run of rows with the same value (a model name, a feature names list) costs a few doubling
   * copies instead of one write per row.
   */
  repeatFrom(start: number, count: number): void {
    const unit = this.pos - start;
    if (count <= 0 || unit === 0) return;
    const total = unit * count;
    this.ensure(total);
    const b = this.buf;
    let done = 0;
    while (done < total) {
      const n = Math.min(done + unit, total - done);
      b.copyWithin(this.pos + done, start, start + n);
      done += n;
    }
    this.pos += total;
  }

  /** Reserves `n` bytes and returns where they start, for a column whose size is known before its content. */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

declare module 'node:buffer' {
  interface Buffer {
    /** Node's UTF-8 writer behind `buf.write(s, offset)`, without its argument checks. */
    utf8Write(s: string, offset?: number, length?: number): number;
  }
}
