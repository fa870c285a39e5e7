/**
 * Simulated GPUs, exposed as a DCGM exporter would expose them (Prometheus text). The SDK's GPU
 * sampler polls this text with its `dcgm` source, so the demo's GPU readings take the same path as
 * a real fleet's.
 */
import type { Rng } from './random.ts';
import { REGRESSED, type Faults, type SimGpu, type SimServer } from './scenario.ts';

/** One GPU's reading in DCGM units (%, MiB, W, degrees C). */
export interface GpuReading {
  utilPct: number;
  fbUsedMiB: number;
  fbTotalMiB: number;
  powerW: number;
  tempC: number;
}

const totalMiB = (g: SimGpu): number => (g.name.includes('H100') ? 81559 : 23034);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * The reading of one GPU under the current faults. A spare GPU holds only the driver's context
 * (under 1 GiB) until the idle-GPU phase loads a model onto it; then it holds 17 GiB and does no
 * work, which is what the GPU analyzer calls idle. The regressed version's GPU runs hot.
 */
export function gpuReading(server: SimServer, gpu: SimGpu, faults: Faults, rng: Rng): GpuReading {
  const fbTotalMiB = totalMiB(gpu);
  if (gpu.spare) {
    const loaded = faults.idleGpu;
    return { utilPct: 0, fbUsedMiB: loaded ? 17_800 : 420, fbTotalMiB, powerW: loaded ? 38 : 17, tempC: loaded ? 36 : 31 };
  }
  const saturated = faults.latency && server.model === REGRESSED.model && server.version === REGRESSED.version;
  const utilPct = Math.round(clamp(saturated ? 96 + 2 * rng.normal() : 58 + 9 * rng.normal(), 5, 100));
  const fbUsedMiB = Math.round(fbTotalMiB * (saturated ? 0.78 : 0.42) + 200 * rng.normal());
  const maxPower = gpu.name.includes('H100') ? 700 : 72;
  return {
    utilPct,
    fbUsedMiB,
    fbTotalMiB,
    powerW: Math.round(maxPower * (0.2 + 0.7 * (utilPct / 100))),
    tempC: Math.round(38 + 0.35 * utilPct + rng.normal()),
  };
}

/** The DCGM exporter page of one host. */
export function dcgmText(server: SimServer, faults: Faults, rng: Rng): string {
  const metrics: [string, string, (r: GpuReading) => number][] = [
    ['DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', (r) => r.utilPct],
    ['DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', (r) => r.fbUsedMiB],
    ['DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).', (r) => r.fbTotalMiB - r.fbUsedMiB],
    ['DCGM_FI_DEV_POWER_USAGE', 'Power draw (in W).', (r) => r.powerW],
    ['DCGM_FI_DEV_GPU_TEMP', 'GPU temperature (in C).', (r) => r.tempC],
    ['DCGM_FI_DEV_CLOCKS_EVENT_REASONS', 'Current clock event reasons (bitmask).', () => 0],
  ];
  const readings = server.gpus.map((g) => ({ g, r: gpuReading(server, g, faults, rng) }));
  const lines: string[] = [];
  for (const [name, help, pick] of metrics) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const { g, r } of readings) {
      lines.push(`${name}{gpu="${g.index}",UUID="${g.uuid}",device="nvidia${g.index}",modelName="${g.name}",Hostname="${server.host}"} ${pick(r)}`);
    }
  }
  return lines.join('\n') + '\n';
}
