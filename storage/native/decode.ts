import { typeName, type NativeColumn } from './block.ts';

/**
 * Reads back Native blocks written by encodeNativeBlock (a body may hold several, one after the
 * other) into row objects. The writer needs it rarely: to split an insert ClickHouse refused
 * because of one row, and to keep a refused row in dead_letters as JSON. It reads only the column
 * kinds the encoder writes, and refuses anything else with an error saying where.
 */
export function decodeNativeBlocks(columns: readonly NativeColumn[], body: Buffer): Record<string, unknown>[] {
  const r = new Reader(body);
  const rows: Record<string, unknown>[] = [];
  while (r.pos < body.length) {
    const ncols = r.varUInt();
    const n = r.varUInt();
    if (ncols !== columns.length) throw new Error(`Native block at byte ${r.pos}: ${ncols} columns, expected ${columns.length}`);
    const first = rows.length;
    for (let i = 0; i < n; i++) rows.push({});
    for (const c of columns) {
      const name = r.string();
      const type = r.string();
      if (name !== c.name || type !== typeName(c.kind)) throw new Error(`Native block: column ${name} ${type}, expected ${c.name} ${typeName(c.kind)}`);
      const values = readColumn(r, c, n);
      for (let i = 0; i < n; i++) rows[first + i][c.name] = values[i];
    }
  }
  return rows;
}

/** The row count of the block at the start of `body` (the second number of its header). */
export function blockRows(body: Buffer): number {
  const r = new Reader(body);
  r.varUInt(); // column count
  return r.varUInt();
}

function readColumn(r: Reader, c: NativeColumn, n: number): unknown[] {
  switch (c.kind) {
    case 'DateTime64(3)': return Array.from({ length: n }, () => r.u64());
    case 'String': return Array.from({ length: n }, () => r.string());
    case 'Nullable(String)': {
      const nulls = r.bytes(n);
      return Array.from({ length: n }, (_, i) => {
        const s = r.string();
        return nulls[i] ? null : s;
      });
    }
    case 'Nullable(Float64)': {
      const nulls = r.bytes(n);
      return Array.from({ length: n }, (_, i) => {
        const v = r.f64();
        return nulls[i] ? null : v;
      });
    }
    case 'Array(String)': {
      const ends = Array.from({ length: n }, () => r.u64());
      const all = Array.from({ length: ends.at(-1) ?? 0 }, () => r.string());
      return ends.map((end, i) => all.slice(i ? ends[i - 1] : 0, end));
    }
    case 'Map(String, Float64)':
    case 'Map(String, String)': {
      const ends = Array.from({ length: n }, () => r.u64());
      const total = ends.at(-1) ?? 0;
      const keys = Array.from({ length: total }, () => r.string());
      const values: unknown[] = c.kind === 'Map(String, Float64)' ? Array.from({ length: total }, () => r.f64()) : Array.from({ length: total }, () => r.string());
      return ends.map((end, i) => {
        const m: Record<string, unknown> = {};
        for (let k = i ? ends[i - 1] : 0; k < end; k++) {
          // An own property even for "__proto__" (a plain store would set the prototype).
          if (keys[k] === '__proto__') Object.defineProperty(m, keys[k], { value: values[k], enumerable: true, writable: true, configurable: true });
          else m[keys[k]] = values[k];
        }
        return m;
      });
    }
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`Native block cut short at byte ${this.pos} (${n} more bytes needed)`);
  }

  varUInt(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      this.need(1);
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  }

  u64(): number {
    this.need(8);
    const v = this.buf.readUInt32LE(this.pos) + this.buf.readUInt32LE(this.pos + 4) * 4294967296;
    this.pos += 8;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(): string {
    const n = this.varUInt();
    return this.bytes(n).toString('utf8');
  }
}
