import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock, type KafkaMock } from '../services/kafka-mock.ts';
import { connectProducer, producePredictions, waitFor } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-kafka-cli-'));
let mock: KafkaMock;
let child: ChildProcess | null = null;

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 1 });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await mock?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/modelwatch.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('modelwatch collector / serve with Kafka', () => {
  it('refuses bad Kafka flags and unreachable brokers with a clear error', () => {
    const bad = cli('collector', '--data-dir', path.join(dir, 'a'), '--kafka-brokers', '127.0.0.1:9', '--topics', 'logs:x');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('MW_ERR_CONFIG_INVALID');
    expect(bad.stderr).toContain('"logs:x" is not FORMAT:TOPIC');
    const noTopic = cli('collector', '--data-dir', path.join(dir, 'a'), '--kafka-brokers', '127.0.0.1:9');
    expect(noTopic.status).toBe(1);
    expect(noTopic.stderr).toContain('kafka.topics: no topic given');
    // A closed loopback port: the consumer cannot connect.
    const down = cli('collector', '--data-dir', path.join(dir, 'a'), '--port', '0', '--log-level', 'fatal', '--kafka-brokers', '127.0.0.1:9', '--topics', 'predictions:x');
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('MW_ERR_KAFKA_UNAVAILABLE');
  });

  it('serve consumes the topics of its config file, then stops cleanly', { timeout: 120_000 }, async () => {
    const topic = 'serve-preds';
    await mock.createTopic(topic, 2);
    const producer = await connectProducer(mock.brokers);
    await producePredictions(producer, topic, 'serve-kafka', 0, 5000);
    await producer.disconnect();
    const config = path.join(dir, 'serve.yaml');
    fs.writeFileSync(config, ['kafka:', `  brokers: ${mock.brokers.join(',')}`, '  groupId: serve-group', '  topics:', `    predictions: [${topic}]`, 'analyzer:', '  enabled: false', ''].join('\n'));
    const port = await freePort();
    child = spawn(process.execPath, [path.join(ROOT, 'bin/modelwatch.mjs'), 'serve', '-c', config, '--data-dir', path.join(dir, 'serve-data'), '--port', String(port), '--log-level', 'warn'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const from = Date.now() - 3_600_000;
    await waitFor('5,000 predictions readable through the API', async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/models/serve-kafka/predictions?limit=10000&from=${from}&to=${Date.now() + 60_000}`);
        return res.ok && ((await res.json()) as unknown[]).length === 5000;
      } catch {
        return false;
      }
    }, 90_000);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/modelwatch_kafka_messages_committed_total\{topic="serve-preds"\} 5000/);
    expect(metrics).toMatch(/modelwatch_kafka_consumer_lag\{topic="serve-preds",partition="0"\} 0/);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/MW_ERR|shutdown failed/);
    child = null;
  });
});
