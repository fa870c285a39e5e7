/**
 * DCGM-exporter: a small parser for the Prometheus text exposition format and the mapping of DCGM
 * field metrics to GPU samples.
 */
import { MIB, THROTTLE_MASK, type GpuParseResult, type GpuSample } from './types.ts';

/** One sample line of the Prometheus text format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME_RE = /^[A-Za-z_:][A-Za-z0-9_:]*/;
const LABEL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*/;

function parseValue(s: string): number | null {
  switch (s) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  if (s === '') return null;
  const n = Number(s);
  return Number.isNaN(n) ? null : n;
}

/** Parses one sample line; returns null for a malformed line. */
function parseLine(line: string): PromSample | null {
  const m = NAME_RE.exec(line);
  if (!m) return null;
  const name = m[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const lm = LABEL_NAME_RE.exec(line.slice(i));
      if (!lm) return null;
      const key = lm[0];
      i += key.length;
      while (line[i] === ' ') i++;
      if (line[i] !== '=') return null;
      i++;
      while (line[i] === ' ') i++;
      if (line[i] !== '"') return null;
      i++;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) return null;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\') {
          const n = line[i + 1];
          value += n === 'n' ? '\n' : n === undefined ? '' : n;
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      labels[key] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const value = parseValue(rest[0] ?? '');
  if (value === null) return null;
  return { name, labels, value };
}

/**
 * Parses Prometheus text exposition format (version 0.0.4): comments and blank lines are
 * skipped, malformed lines are counted, never thrown on.
 */
export function parsePrometheusText(text: string): { samples: PromSample[]; malformed: number } {
  const samples: PromSample[] = [];
  let malformed = 0;
  for (const raw of String(text ?? '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = parseLine(line);
    if (s) samples.push(s);
    else malformed++;
  }
  return { samples, malformed };
}

interface Acc {
  sample: GpuSample;
  fbUsed: number | null;
  fbFree: number | null;
  fbReserved: number | null;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * Maps DCGM-exporter metrics to one sample per GPU (or per MIG instance, keyed by `GPU_I_ID`):
 * `DCGM_FI_DEV_GPU_UTIL` (%), `DCGM_FI_DEV_FB_USED` / `_FB_FREE` / `_FB_RESERVED` (MiB; the
 * limit is their sum), `DCGM_FI_DEV_POWER_USAGE` (W), `DCGM_FI_DEV_GPU_TEMP` (degrees C),
 * `DCGM_FI_DEV_CLOCKS_EVENT_REASONS` / `DCGM_FI_DEV_CLOCK_THROTTLE_REASONS` (bitmask).
 */
export function parseDcgmMetrics(text: string): GpuParseResult {
  const { samples: prom, malformed } = parsePrometheusText(text);
  const byKey = new Map<string, Acc>();
  for (const p of prom) {
    if (!p.name.startsWith('DCGM_FI_')) continue;
    const uuid = p.labels.UUID || (p.labels.gpu !== undefined ? `nvidia-gpu-${p.labels.gpu}` : '');
    if (!uuid) continue;
    const mig = p.labels.GPU_I_ID;
    const key = mig ? `${uuid}/${mig}` : uuid;
    let acc = byKey.get(key);
    if (!acc) {
      const index = p.labels.gpu !== undefined && /^\d+$/.test(p.labels.gpu) ? Number(p.labels.gpu) : null;
      acc = {
        sample: {
          index,
          uuid: key,
          name: p.labels.modelName || 'unknown',
          utilization: null,
          memoryUsedBytes: null,
          memoryLimitBytes: null,
          powerWatts: null,
          temperatureCelsius: null,
          clockEventReasons: null,
          throttled: null,
          ...(p.labels.Hostname ? { hostName: p.labels.Hostname } : {}),
        },
        fbUsed: null,
        fbFree: null,
        fbReserved: null,
      };
      byKey.set(key, acc);
    }
    const s = acc.sample;
    const v = finite(p.value);
    switch (p.name) {
      case 'DCGM_FI_DEV_GPU_UTIL':
        s.utilization = v === null ? null : Math.min(1, Math.max(0, v / 100));
        break;
      case 'DCGM_FI_DEV_FB_USED':
        acc.fbUsed = v;
        break;
      case 'DCGM_FI_DEV_FB_FREE':
        acc.fbFree = v;
        break;
      case 'DCGM_FI_DEV_FB_RESERVED':
        acc.fbReserved = v;
        break;
      case 'DCGM_FI_DEV_POWER_USAGE':
        s.powerWatts = v;
        break;
      case 'DCGM_FI_DEV_GPU_TEMP':
        s.temperatureCelsius = v;
        break;
      case 'DCGM_FI_DEV_CLOCKS_EVENT_REASONS':
      case 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS':
        if (v !== null && Number.isInteger(v) && v >= 0) {
          s.clockEventReasons = v;
          s.throttled = (v & THROTTLE_MASK) !== 0;
        }
        break;
    }
  }
  const samples: GpuSample[] = [];
  for (const acc of byKey.values()) {
    const s = acc.sample;
    if (acc.fbUsed !== null) s.memoryUsedBytes = acc.fbUsed * MIB;
    if (acc.fbUsed !== null && acc.fbFree !== null) s.memoryLimitBytes = (acc.fbUsed + acc.fbFree + (acc.fbReserved ?? 0)) * MIB;
    samples.push(s);
  }
  const warnings: string[] = [];
  if (malformed > 0) warnings.push(`DCGM metrics had ${malformed} malformed line(s)`);
  if (samples.length === 0) warnings.push('DCGM metrics had no DCGM_FI_* GPU samples');
  return { samples, warnings };
}
