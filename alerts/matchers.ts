import type { Labels, Matcher } from './types.ts';

const MATCHER_RE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;
const regexCache = new Map<string, RegExp>();

function anchored(value: string): RegExp {
  let re = regexCache.get(value);
  if (!re) {
    re = new RegExp(`^(?:${value})$`);
    regexCache.set(value, re);
  }
  return re;
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) {
    return v.slice(1, -1).replace(/\\(["'\\])/g, '$1');
  }
  return v;
}

/** Parses one matcher such as `severity="critical"` or `model=~"fraud.*"`; throws a plain Error on bad input. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER_RE.exec(text);
  if (!m) throw new Error(`expected a matcher like name="value", name!="value", name=~"re" or name!~"re", got ${JSON.stringify(text)}`);
  const type = m[2] as Matcher['type'];
  const value = unquote(m[3]);
  if (type === '=~' || type === '!~') {
    try {
      anchored(value);
    } catch (err) {
      throw new Error(`bad regular expression ${JSON.stringify(value)}: ${(err as Error).message}`, { cause: err });
    }
  }
  return { name: m[1], type, value };
}

/** Parses a list of matcher strings, or a `{ label: value }` mapping (equality matchers). */
export function parseMatchers(input: unknown): Matcher[] {
  if (input == null) return [];
  if (Array.isArray(input)) {
    return input.map((x) => {
      if (typeof x !== 'string') throw new Error(`expected a matcher string, got ${JSON.stringify(x)}`);
      return parseMatcher(x);
    });
  }
  if (typeof input === 'string') return input.split(',').filter((s) => s.trim()).map(parseMatcher);
  if (typeof input === 'object') {
    return Object.entries(input as Record<string, unknown>).map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`bad label name ${JSON.stringify(name)}`);
      return { name, type: '=' as const, value: String(value) };
    });
  }
  throw new Error(`expected a list of matchers, got ${JSON.stringify(input)}`);
}

/** True when one matcher accepts the labels (a missing label reads as the empty string). */
export function matchOne(m: Matcher, labels: Labels): boolean {
  const v = labels[m.name] ?? '';
  switch (m.type) {
    case '=': return v === m.value;
    case '!=': return v !== m.value;
    case '=~': return anchored(m.value).test(v);
    case '!~': return !anchored(m.value).test(v);
  }
}

/** True when every matcher accepts the labels (an empty list matches everything). */
export function matchAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => matchOne(m, labels));
}

/** Formats a matcher back to its text form. */
export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}
