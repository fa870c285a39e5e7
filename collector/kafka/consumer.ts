/**
 * The Kafka consumer: a consumer group over the configured topics that writes each chunk of a
 * partition (chunk.ts) through the shared Ingestor under a token made of its offset range, and
 * commits the chunk's offsets only once its rows are durable. Offsets are resolved by hand and
 * never auto-committed, so a rebalance or a crash replays from the last durable chunk, and the
 * replay is dropped by ClickHouse as a duplicate.
 */
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type EachBatchPayload, type KafkaMessage, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MwError, isMwError } from '../../core/errors.ts';
import type { Store } from '../../storage/client.ts';
import type { Ingestor } from '../ingest.ts';
import { openChunk, takeMessage, type OpenChunk } from './buffer.ts';
import { chunkFull, chunkToken, encodeIntent, fitsChunk, parseIntent, type ChunkLimits, type Intent } from './chunk.ts';
import { DeadLetterSink } from './dead-letters.ts';
import type { TopicFormat } from './decode.ts';
import { createKafkaMetrics, type KafkaMetrics } from './metrics.ts';

/** Settings of the consumer (the `kafka` config section, resolved). */
export interface KafkaIngestOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  topics: { predictions: string[]; otlpLogs: string[] };
  /** Copy poison messages to this topic too ('' or undefined: table only). */
  dlqTopic?: string;
  sessionTimeoutMs: number;
  maxBytesPerPartition: number;
  /** First pause of a partition whose chunk could not be written; doubles per failure, up to 30 s. */
  pauseMs: number;
  /** How long a caught-up partition's last, incomplete chunk waits for more messages. */
  lingerMs: number;
  chunk: ChunkLimits;
  partitionsConsumedConcurrently: number;
  /** Where a group without committed offsets starts: the earliest offset (true) or new messages only. */
  fromBeginning: boolean;
  /** Store SHA-256 and length instead of the payload bytes of poison messages. */
  redactRawDeadLetters?: boolean;
}

/** What the consumer writes through and reports to. */
export interface KafkaIngestDeps {
  ingestor: Ingestor;
  store: Store;
  log: Logger;
  registry?: Registry;
}

interface PartitionState {
  topic: string;
  partition: number;
  format: TopicFormat;
  chunk: OpenChunk | null;
  /** Offset after the last message taken into a chunk (or written); null when unknown. */
  next: number | null;
  /** Offset the next fetch starts from, as this consumer positioned it; null when unknown (= committed). */
  position: number | null;
  /** End chosen for the chunk starting at `intent.start` (read from the group, or about to be committed). */
  intent: Intent | null;
  /** Whether `intent` is known to be committed to the group (a retry then skips committing it again). */
  intentRecorded: boolean;
  /** Whether the group's committed offset and intent were read since this partition was assigned. */
  intentKnown: boolean;
  committed: number | null;
  failures: number;
}

const MAX_PAUSE_MS = 30_000;
const HEARTBEAT_MS = 3_000;
// Errors after which kafkajs rejoins the group: let them through to it.
const REJOIN_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);
const isRejoin = (err: unknown) => REJOIN_ERRORS.has((err as { type?: string })?.type ?? '');

function kafkaLogger(log: Logger) {
  return () => ({ namespace, level, log: entry }: LogEntry) => {
    const { message, ...rest } = entry;
    const obj = { component: 'kafkajs', namespace, ...rest };
    if (level === logLevel.ERROR) log.error(obj, message);
    else if (level === logLevel.WARN) log.warn(obj, message);
    else log.debug(obj, message);
  };
}

/** A running Kafka ingest: stop() finishes the chunk being written, commits it and leaves the group. */
export class KafkaIngest {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly producer: Producer | null;
  private readonly formats = new Map<string, TopicFormat>();
  private readonly states = new Map<string, PartitionState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly metrics: KafkaMetrics;
  private readonly deadLetters: DeadLetterSink;
  private readonly log: Logger;
  private offsetsLoading = new Map<string, Promise<void>>();
  private generation = 0;
  private stopping = false;
  private stopped: Promise<void> | null = null;

  constructor(private readonly opts: KafkaIngestOptions, private readonly deps: KafkaIngestDeps) {
    this.log = deps.log.child({ component: 'kafka' });
    for (const t of opts.topics.predictions) this.formats.set(t, 'predictions');
    for (const t of opts.topics.otlpLogs) this.formats.set(t, 'otlp-logs');
    const client = {
      clientId: opts.clientId,
      brokers: opts.brokers,
      // kafkajs's own info lines (joins, fetch retries) only when modelwatch logs at debug.
      logLevel: this.log.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
      logCreator: kafkaLogger(this.log),
    };
    // Patient retries for the consumer: a broker that is away for a while is waited for.
    this.kafka = new Kafka({ ...client, retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 } });
    this.consumer = this.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs,
      maxBytesPerPartition: opts.maxBytesPerPartition,
      // Short waits keep shutdown and the resume of lingering partitions prompt.
      maxWaitTimeInMs: 500,
    });
    // Its own client with short retries: connected first at start, so unreachable brokers fail
    // start-up within seconds; at run time a failed offset read pauses the partition and is retried.
    this.admin = new Kafka({ ...client, retry: { initialRetryTime: 300, maxRetryTime: 2_000, retries: 3 } }).admin();
    this.producer = opts.dlqTopic ? this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }) : null;
    this.metrics = createKafkaMetrics(deps.registry);
    this.deadLetters = new DeadLetterSink(deps.store, { redact: opts.redactRawDeadLetters ?? false, dlqTopic: opts.dlqTopic || undefined, producer: this.producer ?? undefined });
  }

  /** Connects, joins the group and starts consuming. */
  async start(): Promise<void> {
    const topics = [...this.formats.keys()];
    if (topics.length === 0) throw new Error('no Kafka topic configured');
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => this.onAssignment(e.payload.memberAssignment));
    this.consumer.on(this.consumer.events.CRASH, (e) => this.log.error({ err: e.payload.error?.message, restart: e.payload.restart }, 'Kafka consumer crashed'));
    await this.admin.connect();
    if (this.producer) await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: this.opts.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently,
      eachBatch: (p) => this.onBatch(p),
    });
    this.log.info({ topics, groupId: this.opts.groupId, brokers: this.opts.brokers }, 'Kafka consumer started');
  }

  /** Finishes the chunk being written (and commits it), leaves the group and disconnects. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      for (const t of this.timers.values()) clearTimeout(t);
      this.timers.clear();
      await this.consumer.disconnect();
      if (this.producer) await this.producer.disconnect();
      await this.admin.disconnect();
      this.log.info('Kafka consumer stopped');
    })();
    return this.stopped;
  }

  // A new assignment: kafkajs fetches from the committed offsets again, so whatever was buffered
  // (never committed) is dropped here and will be read again, by whichever member owns it now.
  private onAssignment(assignment: Record<string, number[]>): void {
    this.generation++;
    this.offsetsLoading = new Map();
    const owned = new Set(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => `${t}|${p}`)));
    for (const [key, st] of this.states) {
      if (!owned.has(key)) {
        this.states.delete(key);
        this.metrics.lag.remove({ topic: st.topic, partition: String(st.partition) });
      } else this.resetState(st);
    }
    this.log.info({ assignment, generation: this.generation }, 'Kafka partitions assigned');
  }

  private resetState(st: PartitionState): void {
    st.chunk = null;
    st.next = null;
    st.position = null;
    st.intent = null;
    st.intentRecorded = false;
    st.intentKnown = false;
    st.committed = null;
    st.failures = 0;
  }

  private state(topic: string, partition: number): PartitionState {
    const key = `${topic}|${partition}`;
    let st = this.states.get(key);
    if (!st) {
      st = { topic, partition, format: this.formats.get(topic) ?? 'predictions', chunk: null, next: null, position: null, intent: null, intentRecorded: false, intentKnown: false, committed: null, failures: 0 };
      this.states.set(key, st);
    }
    return st;
  }

  private async onBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    if (batch.messages.length === 0 || this.stopping) return;
    const gen = this.generation;
    const st = this.state(batch.topic, batch.partition);
    const hw = Number(batch.highWatermark);
    const first = Number(batch.messages[0].offset);
    // The fetch went back behind where this consumer put it (e.g. kafkajs reset it to the
    // committed offset): start over from what the group has committed.
    if (st.position !== null && first < st.position) this.resetState(st);
    if (!st.intentKnown && !(await this.loadOffsets(st))) return;
    this.setLag(st, hw, first);

    for (const m of batch.messages) {
      if (this.stopping || !p.isRunning() || p.isStale() || gen !== this.generation) return;
      const offset = Number(m.offset);
      if (st.next !== null && offset < st.next) continue; // the held-back message, fetched again
      if (st.chunk && !fitsChunk(st.chunk, offset, this.opts.chunk, st.intent) && !(await this.flush(st, p))) return;
      st.chunk ??= openChunk(offset);
      if (takeMessage(st.chunk, st.format, st.topic, st.partition, toInput(m, offset))) this.log.warn({ topic: st.topic, partition: st.partition, offset }, 'poison message: kept in dead_letters');
      st.next = offset + 1;
      this.metrics.consumed.inc({ topic: st.topic });
      if (chunkFull(st.chunk, this.opts.chunk, st.intent) && !(await this.flush(st, p))) return;
    }
    if (st.next === null || gen !== this.generation) return;
    let resolveTo = st.next - 1;
    if (st.chunk && st.next >= hw && !this.stopping) {
      // Caught up with an incomplete chunk: a tail. Write it once it has waited lingerMs;
      // until then keep its last message unresolved so the partition is fetched again.
      const due = st.chunk.since + this.opts.lingerMs;
      const now = Date.now();
      if (now >= due) {
        if (!(await this.flush(st, p))) return;
      } else {
        resolveTo = st.chunk.last - 1;
        this.pauseFor(st, due - now);
      }
    }
    p.resolveOffset(String(resolveTo));
    st.position = resolveTo + 1;
    this.setLag(st, hw, first);
  }

  // Reads the committed offsets and intents of a topic (once per assignment, shared by its partitions).
  private async loadOffsets(st: PartitionState): Promise<boolean> {
    let loading = this.offsetsLoading.get(st.topic);
    if (!loading) {
      loading = this.admin.fetchOffsets({ groupId: this.opts.groupId, topics: [st.topic] }).then((res) => {
        for (const t of res) {
          for (const p of t.partitions) {
            const s = this.state(t.topic, p.partition);
            if (s.intentKnown) continue;
            const committed = Number(p.offset);
            s.committed = committed >= 0 ? committed : null;
            s.intent = parseIntent(p.offset, p.metadata);
            s.intentRecorded = s.intent !== null;
            s.intentKnown = true;
          }
        }
      });
      this.offsetsLoading.set(st.topic, loading);
      loading.catch(() => this.offsetsLoading.delete(st.topic));
    }
    try {
      await loading;
      return true;
    } catch (err) {
      this.rollback(st, 'offsets_unavailable', err);
      return false;
    }
  }

  // Writes the chunk: record its end (intent), write rows and dead letters under its token,
  // then commit the offset after it. Returns false when the chunk was rolled back.
  private async flush(st: PartitionState, p: EachBatchPayload): Promise<boolean> {
    const c = st.chunk!;
    const token = chunkToken(st.topic, st.partition, c.first, c.last);
    const recorded = st.intentRecorded && st.intent !== null && st.intent.start <= c.first && st.intent.end === c.last;
    if (!recorded) {
      // Set before the commit: if the commit's outcome is unknown, a retry cuts the same range.
      st.intent = { start: c.first, end: c.last };
      st.intentRecorded = false;
      try {
        await this.commit(p, st, c.first, encodeIntent(c.last));
        st.intentRecorded = true;
      } catch (err) {
        this.metrics.commitFailures.inc({ topic: st.topic, stage: 'intent' });
        if (isRejoin(err)) throw err;
        this.rollback(st, 'commit_failed', err);
        return false;
      }
    }
    try {
      await this.withHeartbeat(p, this.write(st, c, token));
    } catch (err) {
      this.rollback(st, isMwError(err) && err.statusCode === 503 ? 'backpressure' : 'write_failed', err);
      return false;
    }
    try {
      await this.commit(p, st, c.last + 1, null);
    } catch (err) {
      // The rows are durable but the offsets are not committed: whoever reads the chunk again
      // (a new owner, or this consumer after the rollback) cuts it the same way under the recorded
      // intent, and ClickHouse drops the second copy. Rolling back, rather than waiting for a later
      // commit to cover it, makes sure the commit happens even if no message follows.
      this.metrics.commitFailures.inc({ topic: st.topic, stage: 'done' });
      if (isRejoin(err)) throw err;
      this.rollback(st, 'commit_failed', err);
      return false;
    }
    if (c.poison.length) this.metrics.deadLettered.inc({ topic: st.topic }, c.poison.length);
    this.metrics.committed.inc({ topic: st.topic }, c.messages);
    st.chunk = null;
    st.failures = 0;
    st.intent = null;
    st.intentRecorded = false;
    st.committed = c.last + 1;
    return true;
  }

  private async write(st: PartitionState, c: OpenChunk, token: string): Promise<void> {
    const jobs: Promise<unknown>[] = [];
    if (st.format === 'predictions') {
      if (c.predictions.length || c.rejected) jobs.push(this.deps.ingestor.predictions(c.predictions, c.rejected, c.errors, { dedupToken: token }));
    } else if (c.resourceLogs.length) {
      jobs.push(this.deps.ingestor.logs({ resourceLogs: c.resourceLogs }, { dedupToken: token }));
    }
    if (c.poison.length) jobs.push(this.deadLetters.write(c.poison, token));
    await Promise.all(jobs);
  }

  private commit(p: EachBatchPayload, st: PartitionState, offset: number, metadata: string | null): Promise<void> {
    const partitions = [{ partition: st.partition, offset: String(offset), metadata }];
    return p.commitOffsetsIfNecessary({ topics: [{ topic: st.topic, partitions }] } as Parameters<EachBatchPayload['commitOffsetsIfNecessary']>[0]);
  }

  // Keeps the group membership alive while a slow write (ClickHouse retrying) is in progress.
  private async withHeartbeat<T>(p: EachBatchPayload, work: Promise<T>): Promise<T> {
    const timer = setInterval(() => void p.heartbeat().catch(() => undefined), HEARTBEAT_MS);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }

  // Drops the chunk, puts the fetch back at its first offset and pauses the partition: nothing
  // was committed, so the same messages come back and form the same chunk.
  private rollback(st: PartitionState, reason: string, err: unknown): void {
    const from = st.chunk?.first ?? st.position;
    st.chunk = null;
    st.next = null;
    if (from !== null) {
      this.consumer.seek({ topic: st.topic, partition: st.partition, offset: String(from) });
      st.position = from;
    }
    const ms = Math.min(MAX_PAUSE_MS, this.opts.pauseMs * 2 ** Math.min(st.failures, 10));
    st.failures++;
    this.metrics.retries.inc({ topic: st.topic, reason });
    const level = reason === 'backpressure' ? 'warn' : 'error';
    this.log[level]({ topic: st.topic, partition: st.partition, from, pauseMs: ms, err: (err as Error)?.message }, `Kafka partition paused: ${reason.replace('_', ' ')}`);
    this.pauseFor(st, ms);
  }

  private pauseFor(st: PartitionState, ms: number): void {
    const key = `${st.topic}|${st.partition}`;
    const tp = [{ topic: st.topic, partitions: [st.partition] }];
    this.consumer.pause(tp);
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    const t = setTimeout(() => {
      this.timers.delete(key);
      if (!this.stopping) this.consumer.resume(tp);
    }, Math.max(10, ms));
    t.unref();
    this.timers.set(key, t);
  }

  private setLag(st: PartitionState, hw: number, first: number): void {
    this.metrics.lag.set({ topic: st.topic, partition: String(st.partition) }, Math.max(0, hw - (st.committed ?? first)));
  }
}

function toInput(m: KafkaMessage, offset: number) {
  return { offset, key: m.key ?? null, value: m.value ?? null };
}

/** Creates the consumer, joins the group and starts consuming; MW_ERR_KAFKA_UNAVAILABLE when it cannot. */
export async function startKafkaIngest(opts: KafkaIngestOptions, deps: KafkaIngestDeps): Promise<KafkaIngest> {
  const k = new KafkaIngest(opts, deps);
  try {
    await k.start();
  } catch (err) {
    await k.stop().catch(() => undefined);
    throw new MwError('MW_ERR_KAFKA_UNAVAILABLE', `${opts.brokers.join(',')}: ${(err as Error).message}`, { brokers: opts.brokers }, { cause: err });
  }
  return k;
}
