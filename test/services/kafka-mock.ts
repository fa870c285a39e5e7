/**
 * librdkafka's mock cluster as a test broker (DESIGN.md section 9): a small C launcher
 * (kafka-mock.c) built with gcc once per source version into a cache under the OS temp dir,
 * started on loopback ports, driven over stdin to inject faults.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const SOURCE = path.join(import.meta.dirname, 'kafka-mock.c');
const HEADER = '/usr/include/librdkafka/rdkafka_mock.h';

/** Kafka protocol request types (ApiKey) that tests inject errors into. */
export const ApiKey = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12, SyncGroup: 14 } as const;

/** Kafka error codes (and librdkafka's local transport error, which makes the broker disconnect). */
export const KafkaErr = {
  TRANSPORT: -195,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_FOR_PARTITION: 6,
  REQUEST_TIMED_OUT: 7,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NOT_ENOUGH_REPLICAS: 19,
  REBALANCE_IN_PROGRESS: 27,
} as const;

/** A running mock cluster. */
export interface KafkaMock {
  /** Bootstrap servers, e.g. ['127.0.0.1:40123', ...]. */
  brokers: string[];
  /** Creates a topic with `partitions` partitions (kafkajs admin.createTopics does not work against the mock). */
  createTopic(name: string, partitions: number, replication?: number): Promise<void>;
  /** Makes `brokerId` the coordinator of consumer group `groupId`. */
  setGroupCoordinator(groupId: string, brokerId: number): Promise<void>;
  /** Disconnects a broker (-1: all) and refuses connections; with `ms`, brings it back after that long. */
  setBrokerDown(id: number, ms?: number): Promise<void>;
  /** Lets a broker (-1: all) accept connections again. */
  setBrokerUp(id: number): Promise<void>;
  /** The next requests of type `apiKey` fail with these error codes, one each, in order. */
  pushErrors(apiKey: number, codes: number[]): Promise<void>;
  /**
   * The next `count` requests of type `apiKey` to a broker (default -1: to each broker) are answered
   * `ms` late; with `error`, they fail with that code (and are not carried out).
   */
  delayResponses(apiKey: number, count: number, ms: number, opts?: { brokerId?: number; error?: number }): Promise<void>;
  /** Stops the cluster (and any pending broker-up timer). */
  stop(): Promise<void>;
}

/** Builds the launcher if this source version is not in the cache yet; returns the binary's path. */
export function buildKafkaMock(): string {
  if (!fs.existsSync(HEADER)) throw new Error(`${HEADER} not found: run "sudo apt-get install -y librdkafka-dev gcc"`);
  const src = fs.readFileSync(SOURCE);
  const hash = crypto.createHash('sha256').update(src).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), 'modelwatch-kafka-mock');
  const bin = path.join(dir, `kafka-mock-${hash}`);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  // Parallel test files may build at once: each builds to its own name, then renames atomically.
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync('gcc', ['-O1', '-o', tmp, SOURCE, '-lrdkafka'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the Kafka mock failed: ${r.stderr || r.error?.message}`);
  fs.renameSync(tmp, bin);
  return bin;
}

/** Starts a mock cluster with `brokerCount` brokers (ids 1..n) on loopback. */
export async function startKafkaMock(opts: { brokers?: number } = {}): Promise<KafkaMock> {
  const bin = buildKafkaMock();
  const child: ChildProcess = spawn(bin, [String(opts.brokers ?? 3)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines = readline.createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    for (const w of waiting.splice(0)) w('ERR exited');
    resolve();
  }));
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      if (line.startsWith('BOOTSTRAP ')) resolve(line.slice('BOOTSTRAP '.length).trim());
      else waiting.shift()?.(line);
    };
    lines.on('line', onLine);
    child.once('exit', (code) => reject(new Error(`kafka mock exited ${code}: ${stderr}`)));
  });
  const timers = new Set<NodeJS.Timeout>();

  const send = (cmd: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error('kafka mock is not running'));
      waiting.push((line) => (line === 'OK' ? resolve() : reject(new Error(`kafka mock: "${cmd}" -> ${line}`))));
      child.stdin!.write(`${cmd}\n`);
    });

  return {
    brokers: bootstrap.split(','),
    createTopic: (name, partitions, replication = 1) => send(`topic ${name} ${partitions} ${replication}`),
    setGroupCoordinator: (groupId, brokerId) => send(`coordinator ${groupId} ${brokerId}`),
    async setBrokerDown(id, ms) {
      await send(`down ${id}`);
      if (ms !== undefined) {
        const t = setTimeout(() => {
          timers.delete(t);
          send(`up ${id}`).catch(() => undefined);
        }, ms);
        timers.add(t);
      }
    },
    setBrokerUp: (id) => send(`up ${id}`),
    pushErrors: (apiKey, codes) => send(`errors ${apiKey} ${codes.join(' ')}`),
    delayResponses: (apiKey, count, ms, opts = {}) => send(`delay ${opts.brokerId ?? -1} ${apiKey} ${count} ${ms} ${opts.error ?? 0}`),
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (!exited) {
        child.stdin!.end();
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(killer);
      }
    },
  };
}
