/**
 * nvidia-smi: the query it runs, and a pure parser from its CSV output to samples.
 */
import { MIB, THROTTLE_MASK, parseReasonMask, type GpuParseResult, type GpuSample } from './types.ts';

/** Current name of the throttle-reason field (drivers >= 535). */
export const REASONS_FIELD = 'clocks_event_reasons.active';
/** Name older drivers know. */
export const LEGACY_REASONS_FIELD = 'clocks_throttle_reasons.active';

/** The fields queried, in order; the last one is the reasons field of the driver at hand. */
export function nvidiaSmiFields(reasonsField: string = REASONS_FIELD): string[] {
  return ['index', 'uuid', 'name', 'utilization.gpu', 'memory.used', 'memory.total', 'power.draw', 'temperature.gpu', reasonsField];
}

/** Command-line arguments for one sample. */
export function nvidiaSmiArgs(reasonsField: string = REASONS_FIELD): string[] {
  return [`--query-gpu=${nvidiaSmiFields(reasonsField).join(',')}`, '--format=csv,noheader,nounits'];
}

/** True when nvidia-smi's output says it does not know the given query field (older driver). */
export function rejectsField(output: string, field: string): boolean {
  const lower = output.toLowerCase();
  return lower.includes(field.toLowerCase()) && (lower.includes('not a valid field') || lower.includes('invalid field'));
}

const FIELD_COUNT = 9;

/** A field's value, or null for `[N/A]`, `[Not Supported]`, `[Unknown Error]`, `N/A`, empty. */
function field(raw: string): string | null {
  const t = raw.trim();
  if (t === '' || t.startsWith('[') || t === 'N/A') return null;
  return t;
}

function num(raw: string): number | null {
  const t = field(raw);
  if (t === null) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function splitRow(line: string): string[] | null {
  const parts = line.split(',');
  if (parts.length < FIELD_COUNT) return null;
  if (parts.length > FIELD_COUNT) {
    // A product name with a comma: fields 0-1 lead, the last 6 trail, the rest is the name.
    const extra = parts.length - FIELD_COUNT;
    parts.splice(2, extra + 1, parts.slice(2, 3 + extra).join(','));
  }
  return parts;
}

/**
 * Parses `nvidia-smi --query-gpu=<nvidiaSmiFields()> --format=csv,noheader,nounits` output.
 * One sample per data row. Lines that are not data rows (a driver failure message, "No devices were
 * found") produce no sample and one warning for the whole text. Never throws.
 */
export function parseNvidiaSmiCsv(text: string): GpuParseResult {
  const samples: GpuSample[] = [];
  const junk: string[] = [];
  for (const rawLine of String(text ?? '').split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const parts = splitRow(line);
    const index = parts ? num(parts[0]) : null;
    const uuidField = parts ? field(parts[1]) : null;
    if (!parts || (index === null && uuidField === null) || (index !== null && !Number.isInteger(index))) {
      junk.push(line);
      continue;
    }
    const util = num(parts[3]);
    const used = num(parts[4]);
    const total = num(parts[5]);
    const reasons = field(parts[8]);
    const mask = reasons === null ? null : parseReasonMask(reasons);
    samples.push({
      index,
      uuid: uuidField ?? `nvidia-gpu-${index}`,
      name: field(parts[2]) ?? 'unknown',
      utilization: util === null ? null : Math.min(1, Math.max(0, util / 100)),
      memoryUsedBytes: used === null ? null : used * MIB,
      memoryLimitBytes: total === null ? null : total * MIB,
      powerWatts: num(parts[6]),
      temperatureCelsius: num(parts[7]),
      clockEventReasons: mask,
      throttled: mask === null ? null : (mask & THROTTLE_MASK) !== 0,
    });
  }
  const warnings: string[] = [];
  if (junk.length > 0) {
    const first = junk[0].length > 300 ? `${junk[0].slice(0, 300)}...` : junk[0];
    warnings.push(samples.length === 0 ? `nvidia-smi gave no GPU rows: ${first}` : `nvidia-smi output had ${junk.length} unreadable line(s), first: ${first}`);
  }
  return { samples, warnings };
}
