import type { Labels } from './types.ts';

/** What a template may refer to. */
export interface TemplateData {
  labels: Labels;
  value: number | null;
  threshold: number | null;
  state?: string;
}

const EXPR_RE = /\{\{\s*(.*?)\s*\}\}/g;
const FUNCS = new Set(['humanize', 'humanizePercentage', 'humanizeDuration', 'toUpper', 'toLower', 'printf']);

function humanize(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, suffix] of units) if (abs >= size) return `${+(v / size).toPrecision(4)}${suffix}`;
  return String(+v.toPrecision(4));
}

function printf(fmt: string, v: unknown): string {
  return fmt.replace(/%(\.(\d+))?([fdsgv%])/g, (_m, _p, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const n = Number(v);
    if (conv === 'f') return Number.isFinite(n) ? n.toFixed(prec ? Number(prec) : 6) : String(v);
    if (conv === 'd') return Number.isFinite(n) ? String(Math.trunc(n)) : String(v);
    if (conv === 'g') return Number.isFinite(n) ? String(+n.toPrecision(prec ? Number(prec) : 6)) : String(v);
    return String(v);
  });
}

function valueOf(ref: string, data: TemplateData): unknown {
  if (ref === '$value') return data.value ?? 'NaN';
  if (ref === '$threshold') return data.threshold ?? '';
  if (ref === '$state') return data.state ?? '';
  if (ref === '$labels') return JSON.stringify(data.labels);
  if (ref.startsWith('$labels.')) return data.labels[ref.slice(8)] ?? '';
  if (/^"(.*)"$/.test(ref)) return ref.slice(1, -1);
  throw new Error(`unknown reference ${ref}`);
}

function applyFunc(call: string, v: unknown): unknown {
  const [name, ...args] = call.match(/"[^"]*"|\S+/g) ?? [];
  switch (name) {
    case 'humanize': return typeof v === 'number' ? humanize(v) : v;
    case 'humanizePercentage': return typeof v === 'number' ? `${+(v * 100).toPrecision(4)}%` : v;
    case 'humanizeDuration': return typeof v === 'number' ? `${+v.toPrecision(4)}s` : v;
    case 'toUpper': return String(v).toUpperCase();
    case 'toLower': return String(v).toLowerCase();
    case 'printf': return printf((args[0] ?? '"%v"').replace(/^"|"$/g, ''), v);
    default: throw new Error(`unknown function ${name}`);
  }
}

function evalExpr(expr: string, data: TemplateData): string {
  const [head, ...pipes] = expr.split('|').map((s) => s.trim());
  let v: unknown;
  // Go-template style prefix call: {{ humanize $value }}, {{ printf "%.2f" $value }}.
  const words: string[] = [...(head.match(/"[^"]*"|\S+/g) ?? [])];
  if (words.length > 1 && FUNCS.has(words[0])) {
    v = applyFunc(words.slice(0, -1).join(' '), valueOf(words[words.length - 1], data));
  } else {
    v = valueOf(head, data);
  }
  for (const p of pipes) v = applyFunc(p, v);
  if (typeof v === 'number') return String(+v.toPrecision(6));
  return String(v);
}

/** Renders `{{ $labels.model }}`, `{{ $value }}`, `{{ $threshold }}` with optional functions (`| humanize`, `printf "%.2f"`). */
export function renderTemplate(text: string, data: TemplateData): string {
  return text.replace(EXPR_RE, (_m, expr: string) => {
    try {
      return evalExpr(expr, data);
    } catch {
      return `{{ ${expr} }}`;
    }
  });
}

/** Checks a template; returns the first problem or undefined. */
export function checkTemplate(text: string): string | undefined {
  const data: TemplateData = { labels: {}, value: 1, threshold: 1, state: 'firing' };
  for (const m of text.matchAll(EXPR_RE)) {
    try {
      evalExpr(m[1], data);
    } catch (err) {
      return `${(err as Error).message} in {{ ${m[1]} }}`;
    }
  }
  const opens = text.split('{{').length - 1;
  const closes = text.split('}}').length - 1;
  if (opens !== closes) return 'unbalanced {{ }}';
  return undefined;
}
