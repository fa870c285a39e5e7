import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { GpuSampler, findOnPath, type DiagnosticLevel } from './sampler.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/nvidia-smi');

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

let binDir: string;
const savedEnv = { ...process.env };

beforeAll(() => {
  binDir = mkdtempSync(path.join(os.tmpdir(), 'mw-fake-smi-'));
  copyFileSync(path.join(FIXTURES, 'fake-nvidia-smi.sh'), path.join(binDir, 'nvidia-smi'));
  chmodSync(path.join(binDir, 'nvidia-smi'), 0o755);
});
afterAll(() => rmSync(binDir, { recursive: true, force: true }));
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

function useFake(fixture: string, extra: Record<string, string> = {}): void {
  process.env.PATH = `${binDir}${path.delimiter}${savedEnv.PATH ?? ''}`;
  process.env.FAKE_NVIDIA_SMI_FIXTURE = path.join(FIXTURES, fixture);
  Object.assign(process.env, extra);
}

function collector(): { lines: Array<[DiagnosticLevel, string]>; sink: (l: DiagnosticLevel, m: string) => void } {
  const lines: Array<[DiagnosticLevel, string]> = [];
  return { lines, sink: (l, m) => lines.push([l, m]) };
}

function points(rm: ResourceMetrics, name: string): Array<{ value: number; attributes: Record<string, unknown> }> {
  const out: Array<{ value: number; attributes: Record<string, unknown> }> = [];
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.descriptor.name === name) for (const dp of m.dataPoints) out.push({ value: dp.value as number, attributes: dp.attributes });
  return out;
}

describe('GpuSampler with a fake nvidia-smi on PATH', () => {
  it('finds nvidia-smi on PATH and reports every hw.gpu.* gauge for eight GPUs', async () => {
    useFake('eight-gpus.csv');
    expect(findOnPath('nvidia-smi')).toBe(path.join(binDir, 'nvidia-smi'));
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const d = collector();
    const sampler = new GpuSampler({ intervalMs: 3_600_000 }, 'node-a', d.sink);
    expect(sampler.start(provider.getMeter('t'))).toBe(true);
    const samples = await sampler.pollOnce();
    expect(samples).toHaveLength(8);
    const { resourceMetrics } = await reader.collect();
    const util = points(resourceMetrics, 'hw.gpu.utilization');
    expect(util).toHaveLength(8);
    expect(util[0]).toEqual({
      value: 0.98,
      attributes: { 'hw.id': 'GPU-a1b2c3d4-0e1f-4a5b-8c9d-0e1f2a3b4c5d', 'hw.name': 'NVIDIA A100-SXM4-80GB', 'hw.vendor': 'nvidia', 'host.name': 'node-a', 'gpu.index': 0 },
    });
    expect(points(resourceMetrics, 'hw.gpu.memory.limit')[0].value).toBe(81920 * 1024 * 1024);
    expect(points(resourceMetrics, 'hw.gpu.memory.usage')[7].value).toBe(4 * 1024 * 1024);
    expect(points(resourceMetrics, 'hw.gpu.power.draw')[3].value).toBe(400);
    expect(points(resourceMetrics, 'hw.gpu.temperature')[6].value).toBe(86);
    expect(points(resourceMetrics, 'hw.gpu.throttled').map((p) => p.value)).toEqual([0, 0, 0, 1, 0, 0, 1, 0]);
    expect(points(resourceMetrics, 'hw.gpu.clock_event_reasons')[6].value).toBe(0x40);
    expect(d.lines).toEqual([]);
    sampler.stop();
    await provider.shutdown();
  });

  it('reports one H100 with every gauge', async () => {
    useFake('one-gpu.csv');
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const d = collector();
    const sampler = new GpuSampler({ intervalMs: 3_600_000 }, 'node-a', d.sink);
    sampler.start(provider.getMeter('t'));
    expect(await sampler.pollOnce()).toHaveLength(1);
    const { resourceMetrics } = await reader.collect();
    const id = { 'hw.id': 'GPU-3f2a9c1e-7b4d-4e8a-9c21-5d6e8f0a1b2c', 'hw.name': 'NVIDIA H100 80GB HBM3', 'hw.vendor': 'nvidia', 'host.name': 'node-a', 'gpu.index': 0 };
    expect(points(resourceMetrics, 'hw.gpu.utilization')).toEqual([{ value: 0.87, attributes: id }]);
    expect(points(resourceMetrics, 'hw.gpu.memory.usage')).toEqual([{ value: 61440 * 1024 * 1024, attributes: id }]);
    expect(points(resourceMetrics, 'hw.gpu.power.draw')).toEqual([{ value: 612.34, attributes: id }]);
    expect(points(resourceMetrics, 'hw.gpu.throttled')).toEqual([{ value: 0, attributes: id }]);
    expect(d.lines).toEqual([]);
    sampler.stop();
    await provider.shutdown();
  });

  it('leaves out the points of [N/A] and [Not Supported] fields, keeping the rest', async () => {
    useFake('na-fields.csv');
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const d = collector();
    const sampler = new GpuSampler({ intervalMs: 3_600_000 }, 'node-a', d.sink);
    sampler.start(provider.getMeter('t'));
    expect(await sampler.pollOnce()).toHaveLength(2);
    const { resourceMetrics } = await reader.collect();
    const byIndex = (name: string) => points(resourceMetrics, name).map((p) => [p.attributes['gpu.index'], p.value]);
    // GPU 0 (T4): no power reading; GPU 1 (RTX 4090): no utilization, no clock event reasons.
    expect(byIndex('hw.gpu.power.draw')).toEqual([[1, 35.2]]);
    expect(byIndex('hw.gpu.utilization')).toEqual([[0, 0.35]]);
    expect(byIndex('hw.gpu.clock_event_reasons')).toEqual([[0, 0]]);
    expect(byIndex('hw.gpu.temperature')).toEqual([[0, 48], [1, 41]]);
    expect(byIndex('hw.gpu.memory.usage')).toEqual([[0, 2048 * 1024 * 1024], [1, 1024 * 1024 * 1024]]);
    expect(d.lines).toEqual([]);
    sampler.stop();
    await provider.shutdown();
  });

  it('reports no utilization point for MIG-enabled GPUs but keeps their other gauges', async () => {
    useFake('mig.csv');
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const sampler = new GpuSampler({ intervalMs: 3_600_000 }, 'node-a', () => {});
    sampler.start(provider.getMeter('t'));
    await sampler.pollOnce();
    const { resourceMetrics } = await reader.collect();
    expect(points(resourceMetrics, 'hw.gpu.utilization').map((p) => p.attributes['gpu.index'])).toEqual([2]);
    expect(points(resourceMetrics, 'hw.gpu.memory.usage')).toHaveLength(3);
    sampler.stop();
    await provider.shutdown();
  });

  it('on a driver failure (exit 9) gives no samples and one warning, however often it polls', async () => {
    useFake('driver-error.txt', { FAKE_NVIDIA_SMI_EXIT: '9' });
    const d = collector();
    const sampler = new GpuSampler({ intervalMs: 3_600_000 }, 'node-a', d.sink);
    sampler.start(null);
    expect(await sampler.pollOnce()).toEqual([]);
    expect(await sampler.pollOnce()).toEqual([]);
    expect(await sampler.pollOnce()).toEqual([]);
    expect(d.lines).toHaveLength(1);
    expect(d.lines[0][0]).toBe('warn');
    expect(d.lines[0][1]).toContain("couldn't communicate with the NVIDIA driver");
    sampler.stop();
  });

  it('falls back to clocks_throttle_reasons.active when the driver rejects clocks_event_reasons.active', async () => {
    const log = path.join(binDir, 'args.log');
    rmSync(log, { force: true });
    useFake('legacy-driver.csv', { FAKE_NVIDIA_SMI_LEGACY: '1', FAKE_NVIDIA_SMI_LOG: log });
    const d = collector();
    const sampler = new GpuSampler({ intervalMs: 3_600_000 }, 'node-a', d.sink);
    sampler.start(null);
    const first = await sampler.pollOnce();
    const second = await sampler.pollOnce();
    expect(first).toHaveLength(1);
    expect(second[0]).toMatchObject({ name: 'Tesla V100-SXM2-32GB', utilization: 0.71, throttled: false });
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    // one rejected query, then the legacy field from then on
    expect(calls).toHaveLength(3);
    expect(calls[0]).toContain('clocks_event_reasons.active');
    expect(calls[1]).toContain('clocks_throttle_reasons.active');
    expect(calls[2]).toContain('clocks_throttle_reasons.active');
    expect(d.lines.filter(([l]) => l === 'warn')).toEqual([]);
    expect(d.lines.filter(([l]) => l === 'info')).toHaveLength(1);
    sampler.stop();
  });

  it('is off, with one info line, when nvidia-smi is not on PATH', () => {
    process.env.PATH = path.join(binDir, 'does-not-exist');
    const d = collector();
    const sampler = new GpuSampler({}, 'node-a', d.sink);
    expect(sampler.start(null)).toBe(false);
    expect(sampler.active).toBe(false);
    expect(d.lines).toEqual([['info', 'GPU sampler off: nvidia-smi is not on PATH']]);
  });
});

describe('GpuSampler reading a DCGM exporter', () => {
  it('polls the Prometheus endpoint', async () => {
    const body = readFileSync(path.join(FIXTURES, 'dcgm-exporter.prom'), 'utf8');
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const sampler = new GpuSampler({ source: 'dcgm', dcgmUrl: url, intervalMs: 3_600_000 }, 'node-a', () => {});
    expect(sampler.start(null)).toBe(true);
    const samples = await sampler.pollOnce();
    expect(samples.map((s) => [s.uuid, s.hostName, s.utilization])).toEqual([
      ['GPU-3f2a9c1e-7b4d-4e8a-9c21-5d6e8f0a1b2c', 'gpu-node-07', 0.87],
      ['GPU-4a3b0d2f-8c5e-4f9b-8d32-6e7f9a1b2c3d', 'gpu-node-07', 0],
    ]);
    sampler.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
