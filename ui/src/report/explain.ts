/** Plain-language lines of the drift HTML report: what each method's score means, and the settings a report was made with. */
import type { ColumnDrift } from '../../../analyzer/drift/types.ts';
import {
  DEFAULT_DISTANCE_THRESHOLD, DEFAULT_P_THRESHOLD, MAX_DISCRETE_UNIQUE, SMALL_REFERENCE_MAX, isDriftMethod, isPValueMethod,
} from '../../../analyzer/stats/choose.ts';
import { fmtCount, fmtNum, fmtPct } from '../format.ts';

/** True when a column's verdict comes from a p-value (drift when p < threshold); else from a distance (score >= threshold). */
export const byPValue = (method: string): boolean => isDriftMethod(method) && isPValueMethod(method);

/** The verdict rule of a column: "p < 0.05" or "score ≥ 0.1". */
export function ruleOf(c: Pick<ColumnDrift, 'method' | 'threshold'>): string {
  return byPValue(c.method) ? `p < ${fmtNum(c.threshold)}` : `score ≥ ${fmtNum(c.threshold)}`;
}

const unit = (c: ColumnDrift) => (c.type === 'numeric' && c.bins?.labels.every((l) => l.includes('..')) ? 'reference-decile bins' : 'categories');

/**
 * One sentence on what a column's score means for its method, with its numbers, and the verdict
 * it gives under the threshold.
 */
export function explainScore(c: ColumnDrift): string {
  const s = c.statistic;
  const p = c.p_value;
  const raw = c.details?.p_value_raw;
  // A corrected p-value says so, with the value before the correction.
  const adj = typeof raw === 'number' ? ` (${String(c.details?.correction)}-corrected; ${fmtNum(raw)} before)` : '';
  const pv = p === null ? '' : `p = ${fmtNum(p)}${adj} is the chance of a difference at least this large if both samples came from one distribution`;
  const verdict = c.status === 'nodata' ? 'no verdict: a side has no values' : c.drift ? `drift (${ruleOf(c)})` : `no drift (drift needs ${ruleOf(c)})`;
  let line: string;
  switch (c.method) {
    case 'ks':
      line = `Kolmogorov–Smirnov: the largest gap between the two cumulative distributions is ${fmtPct(s)} of the values (D = ${fmtNum(s)}); ${pv}`;
      break;
    case 'cvm':
      line = `Cramér–von Mises: the squared gaps between the two cumulative distributions, summed over every value (T = ${fmtNum(s)}); ${pv}`;
      break;
    case 'anderson':
      line = `Anderson–Darling (k-sample): like Cramér–von Mises but weighting the tails more (A² = ${fmtNum(s)}); its p-value is approximate and capped to 0.001–0.25`;
      break;
    case 'wasserstein':
      line = `Wasserstein distance in reference standard deviations: turning one distribution into the other moves a value by ${fmtNum(s)} reference SD on average`;
      break;
    case 'energy':
      line = `Energy distance, in the column's own units (${fmtNum(s)}; not normalised, so its threshold is set per column): 0 means identical distributions`;
      break;
    case 'psi':
      line = `Population Stability Index over the ${unit(c)}: ${fmtNum(s)}; below 0.1 usually reads as stable, 0.1–0.25 as a moderate shift, above 0.25 as a major one`;
      break;
    case 'jensenshannon':
      line = `Jensen–Shannon distance (base 2) between the shares of the ${unit(c)}: ${fmtNum(s)} on a scale from 0 (identical) to 1 (no overlap)`;
      break;
    case 'kl':
      line = `Kullback–Leibler divergence of current from reference over the ${unit(c)} (natural log): ${fmtNum(s)}, 0 when identical, unbounded above`;
      break;
    case 'hellinger':
      line = `Hellinger distance between the shares of the ${unit(c)}: ${fmtNum(s)} on a scale from 0 (identical) to 1 (no overlap)`;
      break;
    case 'tvd':
      line = `Total variation distance: ${fmtPct(s)} of the values would have to change ${unit(c) === 'categories' ? 'category' : 'bin'} to make the two distributions equal`;
      break;
    case 'linf':
      line = `L∞ distance: the share of a single ${unit(c) === 'categories' ? 'category' : 'bin'} changed by at most ${fmtPct(s)} of the values`;
      break;
    case 'chisquare':
      line = `Chi-square test of homogeneity over the ${c.bins?.labels.length ?? ''} categories (χ² = ${fmtNum(s)}); ${pv}`;
      break;
    case 'ztest':
      line = `Two-proportion z-test on the share of the first of the two categories (z = ${fmtNum(s)}); ${pv}`;
      break;
    case 'fisher':
      line = `Fisher's exact test on the 2×2 table (odds ratio ${fmtNum(s)}); ${pv}`;
      break;
    default:
      line = `${c.method}: ${fmtNum(s)}${p === null ? '' : `, p = ${fmtNum(p)}`}`;
  }
  return `${line}: ${verdict}.`;
}

/** The options a report was made with (as given on the command line or in the analyzer config). */
export interface ReportOptions {
  method?: string;
  threshold?: number;
  methods?: Record<string, string>;
  thresholds?: Record<string, number>;
  correction?: string;
  /** Columns asked for (`--column`) and forced categorical (`--categorical`). */
  columns?: string[];
  categorical?: string[];
}

/** The default-method rule, as one sentence. */
export const DEFAULT_RULE = `Unless set, each column gets Evidently's default: with up to ${fmtCount(SMALL_REFERENCE_MAX)} reference values, ks for numeric columns, `
  + `ztest for two categories and chisquare otherwise (drift when p < ${DEFAULT_P_THRESHOLD}); with more, wasserstein for numeric columns and `
  + `jensenshannon otherwise (drift when the score ≥ ${DEFAULT_DISTANCE_THRESHOLD}). Numeric columns with ${MAX_DISCRETE_UNIQUE} values or fewer are compared as categories.`;

/** What was set by hand: global and per-column methods and thresholds. */
export function overrides(o: ReportOptions | undefined): string {
  if (!o) return 'not recorded';
  const parts: string[] = [];
  if (o.method) parts.push(`method ${o.method} for every column it applies to`);
  if (o.threshold !== undefined) parts.push(`threshold ${fmtNum(o.threshold)} for every column`);
  for (const [k, v] of Object.entries(o.methods ?? {})) parts.push(`${k}: ${v}`);
  for (const [k, v] of Object.entries(o.thresholds ?? {})) parts.push(`${k}: threshold ${fmtNum(v)}`);
  if (o.categorical?.length) parts.push(`categorical: ${o.categorical.join(', ')}`);
  if (o.columns?.length) parts.push(`only columns ${o.columns.join(', ')}`);
  return parts.length ? parts.join('; ') : 'none (defaults everywhere)';
}

/** The correction line: which one, and over how many p-values it was applied. */
export function correctionLine(o: ReportOptions | undefined, columns: ColumnDrift[]): string {
  const m = columns.filter((c) => c.details && 'p_value_raw' in c.details).length;
  const name = o?.correction ?? (columns.find((c) => c.details?.correction)?.details?.correction as string | undefined) ?? 'none';
  if (name === 'none') return 'none: each p-value is read on its own';
  const what = name === 'bonferroni' ? 'Bonferroni (p × m)' : name === 'bh' ? 'Benjamini–Hochberg (false discovery rate)' : name;
  return `${what} over the ${m} p-value ${m === 1 ? 'column' : 'columns'}; distances are not corrected`;
}
