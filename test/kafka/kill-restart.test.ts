import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../storage/client.ts';
import { ApiKey, KafkaErr, startKafkaMock, type KafkaMock } from '../services/kafka-mock.ts';
import { connectProducer, expectWholeLog, expected, landed, producePredictions, waitFor } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TOTAL = 200_000;
const TOPIC = 'kill-preds';
const GROUP = 'kill-group';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-kafka-kill-'));
// A short session: the restarted member need not wait long for the killed one to be dropped.
const configFile = path.join(dataDir, 'modelwatch.yaml');
// Chunks of 10,000 offsets: several per partition, so the kill finds some committed and some not.
fs.writeFileSync(configFile, 'kafka:\n  sessionTimeoutMs: 6000\n  chunkOffsets: 10000\n');
let mock: KafkaMock;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 3 });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await mock?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `modelwatch collector` consuming the topic into the test's data directory. */
async function startCollector(port: number): Promise<ChildProcess> {
  const args = ['collector', '-c', configFile, '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn', '--kafka-brokers', mock.brokers.join(','), '--topics', `predictions:${TOPIC}`, '--group-id', GROUP];
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/modelwatch.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const onData = () => stderr.includes('consuming Kafka topics') && (child.stderr!.off('data', onData), resolve());
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`collector exited ${code}: ${stderr}`)));
  });
  return child;
}

/** Kafka counters of the collector, from its /metrics. */
async function kafkaCounters(port: number): Promise<{ consumed: number; committed: number; written: number; commitFailures: number; doneFailures: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  const failures = (stage: string) => text.split('\n').filter((l) => l.startsWith('modelwatch_kafka_commit_failures_total{') && (!stage || l.includes(`stage="${stage}"`))).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  return {
    consumed: sum('modelwatch_kafka_messages_consumed_total'),
    committed: sum('modelwatch_kafka_messages_committed_total'),
    // One row per message in this test: rows written ahead of committed messages are durable but uncommitted.
    written: text.split('\n').filter((l) => l.startsWith('modelwatch_rows_written_total{table="predictions"}')).reduce((n, l) => n + Number(l.split(' ').pop()), 0),
    commitFailures: failures(''),
    doneFailures: failures('done'),
  };
}

async function groupCommitted(): Promise<{ committed: number; end: number }> {
  const admin = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [ends, [offsets]] = await Promise.all([admin.fetchTopicOffsets(TOPIC), admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] })]);
    return {
      end: ends.reduce((n, e) => n + Number(e.high), 0),
      committed: offsets.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0),
    };
  } finally {
    await admin.disconnect();
  }
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe('consumer killed with SIGKILL mid-batch, then restarted', () => {
  it('200,000 messages over 6 partitions land exactly once', { timeout: 400_000 }, async () => {
    await mock.createTopic(TOPIC, 6);
    const producer = await connectProducer(mock.brokers);
    await producePredictions(producer, TOPIC, 'killed', 0, TOTAL);
    await producer.disconnect();
    await expectWholeLog(mock.brokers, TOPIC);

    const port = await freePort();
    const first = await startCollector(port);
    await waitFor('a third of the messages committed', async () => (await kafkaCounters(port)).committed >= TOTAL / 3, 300_000, 50);
    // From now on every other offset commit fails, 2 s late, and the partition then pauses: a chunk
    // whose rows are durable waits uncommitted, the window a kill must not turn into duplicates.
    // More failures are queued until one hits such a chunk (a failed commit after the write).
    let pushed = 0;
    let atKill = { consumed: 0, committed: 0, written: 0, commitFailures: 0, doneFailures: 0 };
    await waitFor('a durable chunk whose offset commit failed, with more messages in flight', async () => {
      atKill = await kafkaCounters(port);
      if (atKill.doneFailures >= 1 && atKill.consumed > atKill.committed) return true;
      if (atKill.commitFailures >= pushed) {
        for (let i = 0; i < 5; i++) {
          await mock.delayResponses(ApiKey.OffsetCommit, 1, 0);
          await mock.delayResponses(ApiKey.OffsetCommit, 1, 2000, { error: KafkaErr.REQUEST_TIMED_OUT });
        }
        pushed += 5;
      }
      return false;
    }, 300_000, 20);
    expect(atKill.written).toBeGreaterThan(atKill.committed);
    first.kill('SIGKILL');
    expect(await exited(first)).toBe(null);
    const afterKill = await groupCommitted();
    expect(afterKill.committed).toBeLessThan(TOTAL);

    const second = await startCollector(port);
    await waitFor('every offset committed after the restart', async () => {
      const g = await groupCommitted();
      return g.committed === g.end && g.end === TOTAL;
    }, 300_000);
    const replayed = await kafkaCounters(port);
    const done = exited(second);
    second.kill('SIGTERM');
    expect(await done).toBe(0);
    // The restart read everything from the group's committed offsets on: at least what was uncommitted at the kill.
    expect(replayed.consumed).toBeGreaterThanOrEqual(TOTAL - afterKill.committed);

    const store = await createStore({ dataDir });
    try {
      expect(await landed(store, 'killed')).toEqual(await expected(store, TOTAL));
    } finally {
      await store.close();
    }
  });
});
