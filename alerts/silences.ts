import { randomUUID } from 'node:crypto';
import { MwError } from '../core/errors.ts';
import { parseDuration } from './duration.ts';
import { formatMatcher, matchAll, parseMatchers } from './matchers.ts';
import type { Labels, Matcher } from './types.ts';

/** A silence: alerts matching every matcher between startsAt and endsAt are recorded but not sent. */
export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

/** Lifecycle state of a silence at a time. */
export function silenceState(s: Silence, now: number): 'pending' | 'active' | 'expired' {
  if (now < s.startsAt) return 'pending';
  return now < s.endsAt ? 'active' : 'expired';
}

/** True when an active silence matches the labels. */
export function isSilenced(labels: Labels, silences: readonly Silence[], now: number): boolean {
  return silences.some((s) => silenceState(s, now) === 'active' && matchAll(s.matchers, labels));
}

/** Input of a new silence, as the API and CLI take it. */
export interface SilenceInput {
  matchers: unknown;
  startsAt?: string | number;
  endsAt?: string | number;
  duration?: string;
  createdBy?: string;
  comment?: string;
}

function toTime(v: string | number | undefined, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const t = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(t)) throw new MwError('MW_ERR_SILENCE_INVALID', `${field}: expected an ISO time, got ${JSON.stringify(v)}`);
  return t;
}

/** Validates a new silence; matchers are strings (`model="fraud"`) or `{ name, value, isRegex, isEqual }` objects. */
export function buildSilence(input: SilenceInput, now: number): Silence {
  let matchers: Matcher[];
  try {
    const raw = input.matchers;
    if (Array.isArray(raw) && raw.every((m) => typeof m === 'object' && m !== null)) {
      // Alertmanager API form.
      matchers = (raw as { name: string; value: string; isRegex?: boolean; isEqual?: boolean }[]).map((m) => {
        const eq = m.isEqual !== false;
        const type = m.isRegex ? (eq ? '=~' : '!~') : (eq ? '=' : '!=');
        return parseMatchers([`${m.name}${type}${JSON.stringify(String(m.value))}`])[0];
      });
    } else {
      matchers = parseMatchers(raw);
    }
  } catch (err) {
    throw new MwError('MW_ERR_SILENCE_INVALID', `matchers: ${(err as Error).message}`);
  }
  if (matchers.length === 0) throw new MwError('MW_ERR_SILENCE_INVALID', 'matchers: expected at least one matcher');
  if (matchers.every((m) => m.type === '=~' && new RegExp(`^(?:${m.value})$`).test(''))) {
    throw new MwError('MW_ERR_SILENCE_INVALID', 'matchers: at least one matcher must not match the empty string');
  }
  const startsAt = toTime(input.startsAt, 'startsAt') ?? now;
  let endsAt = toTime(input.endsAt, 'endsAt');
  if (endsAt === undefined) {
    const d = parseDuration(input.duration ?? '');
    if (d === undefined || d <= 0) throw new MwError('MW_ERR_SILENCE_INVALID', `give endsAt or a duration like 2h, got ${JSON.stringify(input.duration)}`);
    endsAt = startsAt + d;
  }
  if (endsAt <= startsAt) throw new MwError('MW_ERR_SILENCE_INVALID', 'endsAt must be after startsAt');
  return {
    id: randomUUID(),
    matchers,
    startsAt,
    endsAt,
    createdBy: input.createdBy ?? '',
    comment: input.comment ?? '',
    createdAt: now,
  };
}

/** A silence as the API returns it. */
export function silenceView(s: Silence, now: number): Record<string, unknown> {
  return {
    id: s.id,
    matchers: s.matchers.map(formatMatcher),
    startsAt: new Date(s.startsAt).toISOString(),
    endsAt: new Date(s.endsAt).toISOString(),
    createdBy: s.createdBy,
    comment: s.comment,
    status: { state: silenceState(s, now) },
  };
}
