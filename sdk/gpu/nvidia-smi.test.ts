import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LEGACY_REASONS_FIELD, nvidiaSmiArgs, parseNvidiaSmiCsv, rejectsField } from './nvidia-smi.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/nvidia-smi');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');
const MIB = 1024 * 1024;

describe('nvidiaSmiArgs', () => {
  it('queries the fields in the parser order, CSV without header or units', () => {
    expect(nvidiaSmiArgs()).toEqual([
      '--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu,clocks_event_reasons.active',
      '--format=csv,noheader,nounits',
    ]);
    expect(nvidiaSmiArgs(LEGACY_REASONS_FIELD)[0]).toMatch(/,clocks_throttle_reasons\.active$/);
  });
});

describe('parseNvidiaSmiCsv', () => {
  it('parses one H100', () => {
    const { samples, warnings } = parseNvidiaSmiCsv(fixture('one-gpu.csv'));
    expect(warnings).toEqual([]);
    expect(samples).toEqual([
      {
        index: 0,
        uuid: 'GPU-3f2a9c1e-7b4d-4e8a-9c21-5d6e8f0a1b2c',
        name: 'NVIDIA H100 80GB HBM3',
        utilization: 0.87,
        memoryUsedBytes: 61440 * MIB,
        memoryLimitBytes: 81559 * MIB,
        powerWatts: 612.34,
        temperatureCelsius: 67,
        clockEventReasons: 0,
        throttled: false,
      },
    ]);
  });

  it('parses eight A100s, with idle and throttled ones told apart', () => {
    const { samples, warnings } = parseNvidiaSmiCsv(fixture('eight-gpus.csv'));
    expect(warnings).toEqual([]);
    expect(samples.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(samples.map((s) => s.uuid)).size).toBe(8);
    expect(samples.every((s) => s.name === 'NVIDIA A100-SXM4-80GB' && s.memoryLimitBytes === 81920 * MIB)).toBe(true);
    // GPU 2 and 7 are idle (reason 0x1: not throttling), 3 is power capped (0x4), 6 thermally slowed (0x40).
    expect(samples.map((s) => s.throttled)).toEqual([false, false, false, true, false, false, true, false]);
    expect(samples[2].clockEventReasons).toBe(1);
    expect(samples[6].clockEventReasons).toBe(0x40);
    expect(samples[7].utilization).toBe(0);
    expect(samples[3].utilization).toBe(1);
    expect(samples[0].powerWatts).toBeCloseTo(398.71, 10);
  });

  it('turns [N/A] and [Not Supported] into null without losing the other fields', () => {
    const { samples, warnings } = parseNvidiaSmiCsv(fixture('na-fields.csv'));
    expect(warnings).toEqual([]);
    expect(samples).toHaveLength(2);
    expect(samples[0]).toMatchObject({ name: 'Tesla T4', utilization: 0.35, powerWatts: null, temperatureCelsius: 48, memoryUsedBytes: 2048 * MIB });
    expect(samples[1]).toMatchObject({ name: 'NVIDIA GeForce RTX 4090', utilization: null, clockEventReasons: null, throttled: null, powerWatts: 35.2 });
  });

  it('keeps MIG-enabled GPUs (no utilization) with their memory, power and temperature', () => {
    const { samples, warnings } = parseNvidiaSmiCsv(fixture('mig.csv'));
    expect(warnings).toEqual([]);
    expect(samples.map((s) => s.utilization)).toEqual([null, null, 0.64]);
    expect(samples[0]).toMatchObject({ memoryUsedBytes: 12345 * MIB, memoryLimitBytes: 40960 * MIB, powerWatts: 92.11, temperatureCelsius: 35 });
  });

  it('gives no samples and exactly one warning for the driver failure text', () => {
    const { samples, warnings } = parseNvidiaSmiCsv(fixture('driver-error.txt'));
    expect(samples).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver");
  });

  it('gives nothing for empty output and never throws on junk', () => {
    expect(parseNvidiaSmiCsv('')).toEqual({ samples: [], warnings: [] });
    expect(parseNvidiaSmiCsv('No devices were found\n').warnings).toHaveLength(1);
    expect(() => parseNvidiaSmiCsv('a,b,c,d,e,f,g,h,i,j,k\n,,,\n\u0000')).not.toThrow();
    expect(parseNvidiaSmiCsv(undefined as unknown as string)).toEqual({ samples: [], warnings: [] });
  });

  it('keeps good rows when one line is unreadable, with one warning', () => {
    const text = `${fixture('one-gpu.csv')}garbage line\n`;
    const { samples, warnings } = parseNvidiaSmiCsv(text);
    expect(samples).toHaveLength(1);
    expect(warnings).toHaveLength(1);
  });

  it('accepts a product name containing a comma', () => {
    const { samples } = parseNvidiaSmiCsv('0, GPU-1, Some GPU, Rev 2, 10, 100, 200, 50.5, 40, 0x0\n');
    expect(samples[0]).toMatchObject({ name: 'Some GPU, Rev 2', utilization: 0.1, memoryUsedBytes: 100 * MIB, temperatureCelsius: 40 });
  });

  it('recognises the old-driver rejection of clocks_event_reasons', () => {
    const msg = 'Field "clocks_event_reasons.active" is not a valid field to query.\n\nSee \'nvidia-smi --help-query-gpu\' for details.\n';
    expect(rejectsField(msg, 'clocks_event_reasons.active')).toBe(true);
    expect(rejectsField(fixture('driver-error.txt'), 'clocks_event_reasons.active')).toBe(false);
  });
});
