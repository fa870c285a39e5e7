import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDcgmMetrics, parsePrometheusText } from './dcgm.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/nvidia-smi');
const MIB = 1024 * 1024;

describe('parsePrometheusText', () => {
  it('reads names, labels with escapes, special values and timestamps; skips comments', () => {
    const text = [
      '# HELP x help text',
      '# TYPE x gauge',
      'x 1',
      'y{a="1",b="q\\"uote",c="back\\\\slash",d="line\\nbreak",} 2.5 1700000000000',
      'z{ a = "v" } +Inf',
      'nan_metric NaN',
      '',
      'broken{a="unterminated} 3',
      'novalue{a="1"}',
    ].join('\n');
    const { samples, malformed } = parsePrometheusText(text);
    expect(samples.map((s) => s.name)).toEqual(['x', 'y', 'z', 'nan_metric']);
    expect(samples[1]).toEqual({ name: 'y', labels: { a: '1', b: 'q"uote', c: 'back\\slash', d: 'line\nbreak' }, value: 2.5 });
    expect(samples[2].value).toBe(Infinity);
    expect(Number.isNaN(samples[3].value)).toBe(true);
    expect(malformed).toBe(2);
  });
});

describe('parseDcgmMetrics', () => {
  it('maps DCGM-exporter fields onto GPU samples', () => {
    const { samples, warnings } = parseDcgmMetrics(readFileSync(path.join(FIXTURES, 'dcgm-exporter.prom'), 'utf8'));
    expect(warnings).toEqual([]);
    expect(samples).toHaveLength(2);
    expect(samples[0]).toEqual({
      index: 0,
      uuid: 'GPU-3f2a9c1e-7b4d-4e8a-9c21-5d6e8f0a1b2c',
      name: 'NVIDIA H100 80GB HBM3',
      hostName: 'gpu-node-07',
      utilization: 0.87,
      memoryUsedBytes: 61440 * MIB,
      memoryLimitBytes: (61440 + 19596 + 523) * MIB,
      powerWatts: 612.339,
      temperatureCelsius: 67,
      clockEventReasons: 4,
      throttled: true,
    });
    expect(samples[1]).toMatchObject({ index: 1, utilization: 0, memoryLimitBytes: (41036 + 40000) * MIB, throttled: false, clockEventReasons: 1 });
  });

  it('keeps MIG instances apart and warns on text without DCGM samples', () => {
    const mig = [
      'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-x",GPU_I_ID="1",GPU_I_PROFILE="1g.10gb",modelName="NVIDIA A100-SXM4-80GB"} 100',
      'DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-x",GPU_I_ID="2",GPU_I_PROFILE="3g.40gb",modelName="NVIDIA A100-SXM4-80GB"} 200',
    ].join('\n');
    const { samples } = parseDcgmMetrics(mig);
    expect(samples.map((s) => [s.uuid, s.memoryUsedBytes])).toEqual([
      ['GPU-x/1', 100 * MIB],
      ['GPU-x/2', 200 * MIB],
    ]);
    expect(parseDcgmMetrics('# nothing\nup 1\n').warnings).toEqual(['DCGM metrics had no DCGM_FI_* GPU samples']);
  });
});
