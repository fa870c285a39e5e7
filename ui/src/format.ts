/** Number, time and size formatting for the UI (pure; the locale is fixed so pages read the same everywhere). */

const dash = '–';

/** A count with thousands separators: 12,345. */
export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return dash;
  return Math.round(n).toLocaleString('en-US');
}

/** A number with about three significant digits: 0.0123, 1.23, 123, 12,345. */
export function fmtNum(n: number | null | undefined, digits = 3): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return dash;
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a < 0.001) return n.toExponential(1);
  return Number(n.toPrecision(digits)).toString();
}

/** Like fmtNum, but millions and up in exponent form, as axis labels want: 5.25e9 rather than 5,250,000,000. */
export function fmtCompact(n: number | null | undefined, digits = 3): string {
  if (n === null || n === undefined || !Number.isFinite(n) || Math.abs(n) < 1e6) return fmtNum(n, digits);
  return Number(n.toPrecision(digits)).toExponential().replace('e+', 'e');
}

/** A ratio as a percentage: 0.0213 -> 2.13%. */
export function fmtPct(r: number | null | undefined, digits = 3): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return dash;
  return `${fmtNum(r * 100, digits)}%`;
}

/** A ratio as a percentage with fixed decimals, so columns of them align: 0.1204 -> 12.0%; a tiny non-zero one as <0.1%. */
export function fmtPctFixed(r: number | null | undefined, decimals = 1): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return dash;
  if (r === 0) return '0%';
  const least = 10 ** -decimals;
  if (Math.abs(r * 100) < least / 2) return `${r < 0 ? '>-' : '<'}${least}%`;
  return `${(r * 100).toFixed(decimals)}%`;
}

/** The two edges of a numeric bin label "12.345..67.89", or null for a category label. */
export function parseBinLabel(label: string): [number, number] | null {
  const m = /^(.+?)\.\.(.+)$/.exec(label);
  if (!m) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null;
}

/** A numeric bin "12.345..67.89" as "12.3–67.9"; a category label as it is. */
export function fmtBinLabel(label: string): string {
  const e = parseBinLabel(label);
  return e ? `${fmtNum(e[0])}–${fmtNum(e[1])}` : label;
}

/** Milliseconds, switching to seconds from 10 s. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return dash;
  return ms >= 10_000 ? `${fmtNum(ms / 1000)} s` : `${fmtNum(ms)} ms`;
}

/** Bytes in binary units: 30 GiB. */
export function fmtBytes(b: number | null | undefined): string {
  if (b === null || b === undefined || !Number.isFinite(b)) return dash;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${fmtNum(v)} ${units[i]}`;
}

/** How long ago a time was, from `now` (ms): "just now", "5 min ago", "3 h ago", "2 d ago". */
export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return dash;
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return dash;
  if (s < 0) return `in ${fmtDuration(-s)}`;
  if (s < 45) return 'just now';
  return `${fmtDuration(s)} ago`;
}

/** A duration in seconds, in its largest whole unit: 90 -> "2 min", 7200 -> "2 h". */
export function fmtDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400 * 2) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

const pad = (n: number) => String(n).padStart(2, '0');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Time axis labels, 24-hour: HH:MM, with the date under the first tick of each day; dates alone for ticks a day or more apart. */
export function timeTicks(splits: number[], incrSeconds: number): string[] {
  let lastDay = '';
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const day = `${d.getDate()} ${MONTHS[d.getMonth()]}`;
    if (incrSeconds >= 86_400) return day;
    const label = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    const first = day !== lastDay;
    lastDay = day;
    return first ? `${label}\n${day}` : label;
  });
}

/** Local time of day, HH:MM. */
export function fmtClock(iso: string | number): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Local date and time, YYYY-MM-DD HH:MM. */
export function fmtDateTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return dash;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return dash;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A window as "HH:MM–HH:MM", with the date when it is not today. */
export function fmtWindow(fromIso: string, toIso: string, now = new Date()): string {
  const from = new Date(fromIso);
  const sameDay = from.toDateString() === now.toDateString();
  return `${sameDay ? fmtClock(fromIso) : fmtDateTime(fromIso)}–${fmtClock(toIso)}`;
}
