/**
 * A fixed-capacity FIFO of pending records, stored in parallel preallocated arrays so that a push on
 * the host's hot path allocates nothing. When full, a push is refused (the caller counts the drop).
 */
export class RecordRing {
  readonly capacity: number;
  private readonly kinds: Uint8Array;
  private readonly times: Float64Array;
  private readonly payloads: unknown[];
  private readonly extras: unknown[];
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.kinds = new Uint8Array(capacity);
    this.times = new Float64Array(capacity);
    this.payloads = new Array<unknown>(capacity).fill(undefined);
    this.extras = new Array<unknown>(capacity).fill(undefined);
  }

  /** Number of records waiting. */
  get size(): number {
    return this.count;
  }

  /** Appends a record; returns false (and stores nothing) when the ring is full. */
  push(kind: number, time: number, payload: unknown, extra: unknown): boolean {
    if (this.count === this.capacity) return false;
    let i = this.head + this.count;
    if (i >= this.capacity) i -= this.capacity;
    this.kinds[i] = kind;
    this.times[i] = time;
    this.payloads[i] = payload;
    this.extras[i] = extra;
    this.count++;
    return true;
  }

  /**
   * Removes the oldest record and hands it to `visit`; returns false when empty. References are
   * cleared so the ring never keeps a consumed record alive.
   */
  shift(visit: (kind: number, time: number, payload: unknown, extra: unknown) => void): boolean {
    if (this.count === 0) return false;
    const i = this.head;
    const payload = this.payloads[i];
    const extra = this.extras[i];
    this.payloads[i] = undefined;
    this.extras[i] = undefined;
    this.head = i + 1 === this.capacity ? 0 : i + 1;
    this.count--;
    visit(this.kinds[i], this.times[i], payload, extra);
    return true;
  }

  /** Drops every waiting record; returns how many there were. */
  clear(): number {
    const n = this.count;
    while (this.count > 0) this.shift(noop);
    return n;
  }
}

function noop(): void {}
