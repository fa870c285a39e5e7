/** One reading of one GPU (or one MIG instance, from DCGM), in the units the metrics use. */
export interface GpuSample {
  /** Device index as the driver numbers it (`gpu.index`), or null when unknown. */
  index: number | null;
  /** Stable identity (`hw.id`): the GPU UUID, e.g. `GPU-5c1b7a3e-...`. */
  uuid: string;
  /** Product name (`hw.name`), e.g. `NVIDIA H100 80GB HBM3`. */
  name: string;
  /** Share of time a kernel was running, 0..1; null when not reported (MIG mode, N/A). */
  utilization: number | null;
  /** Framebuffer memory in use, bytes. */
  memoryUsedBytes: number | null;
  /** Framebuffer memory size, bytes. */
  memoryLimitBytes: number | null;
  /** Board power draw, watts. */
  powerWatts: number | null;
  /** Core temperature, degrees Celsius. */
  temperatureCelsius: number | null;
  /** Raw clock event (throttle) reason bitmask, or null when not reported. */
  clockEventReasons: number | null;
  /** True when a reason that slows the GPU down is active (power cap, thermal, HW slowdown). */
  throttled: boolean | null;
  /** Host the GPU sits in, when the source says so (DCGM `Hostname`). */
  hostName?: string;
}

/** What a parser returns: samples and at most a few human-readable warnings. Never throws. */
export interface GpuParseResult {
  samples: GpuSample[];
  warnings: string[];
}

export const MIB = 1024 * 1024;

/**
 * Clock event reason bits (nvmlClocksEventReason*) that mean the GPU is being slowed down:
 * SW power cap 0x4, HW slowdown 0x8, SW thermal 0x20, HW thermal 0x40, HW power brake 0x80.
 * Idle (0x1), application clocks (0x2), sync boost (0x10) and display clocks (0x100) are not.
 */
export const THROTTLE_MASK = 0x4 | 0x8 | 0x20 | 0x40 | 0x80;

/** Parses a `0x...` bitmask (up to 64 bits); only the low 32 bits carry known reasons. */
export function parseReasonMask(text: string): number | null {
  const t = text.trim();
  if (!/^0x[0-9a-fA-F]{1,16}$/.test(t)) return null;
  return Number(BigInt(t) & 0xffffffffn);
}
