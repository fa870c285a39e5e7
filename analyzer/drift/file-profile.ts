/** Profiles of reference files (CSV, Parquet, NDJSON), aggregated by ClickHouse itself. */
import { MwError } from '../../core/errors.ts';
import type { Store } from '../../storage/client.ts';
import { ident } from '../../storage/identifiers.ts';
import { LEVELS_SQL } from './sketch.ts';
import type { FileSource } from './reference.ts';
import {
  describeFile, fileParams, fileTable, MAX_CATEGORIES, NUMERIC_TYPE, numericColumn, PREDICTION_COLUMNS, PREDICTION_SUBJECT, TEXT_TYPE,
  type CategoricalColumn, type Profile, type ProfileOptions,
} from './source.ts';

/** Reads a profile from a CSV, Parquet or NDJSON file, aggregated by ClickHouse itself. */
export async function fileProfile(store: Store, f: FileSource, opts: ProfileOptions): Promise<Profile> {
  const cols = await describeFile(store, f);
  const p: Profile = { rows: 0, numeric: new Map(), categorical: new Map(), skipped: [] };
  const numeric: { name: string; subject: string }[] = [];
  const text: { name: string; subject: string }[] = [];
  for (const c of cols) {
    const subject = !opts.literal && PREDICTION_COLUMNS.has(c.name) ? PREDICTION_SUBJECT : c.name;
    if (opts.columns && !opts.columns.has(c.name) && subject !== PREDICTION_SUBJECT) continue;
    if (opts.prediction === false && subject === PREDICTION_SUBJECT) continue;
    try {
      ident(c.name);
    } catch {
      p.skipped.push({ column: c.name, reason: 'column name is not a plain identifier' });
      continue;
    }
    if (NUMERIC_TYPE.test(c.type) && !opts.categorical?.has(c.name)) numeric.push({ name: c.name, subject });
    else if (TEXT_TYPE.test(c.type) || NUMERIC_TYPE.test(c.type)) text.push({ name: c.name, subject });
    else p.skipped.push({ column: c.name, reason: `unsupported type ${c.type}` });
  }
  const params = fileParams(f);
  const exprs = ['count() AS __rows'];
  numeric.forEach((c, i) => {
    const v = `toFloat64(\`${c.name}\`)`;
    exprs.push(
      `count(\`${c.name}\`) AS __n${i}`, `avg(${v}) AS __mean${i}`, `stddevPop(${v}) AS __sd${i}`, `min(${v}) AS __mn${i}`, `max(${v}) AS __mx${i}`,
      `quantilesTDigest(${LEVELS_SQL})(${v}) AS __q${i}`,
    );
  });
  text.forEach((c, i) => exprs.push(`count(\`${c.name}\`) AS __tn${i}`));
  let row: Record<string, any>;
  try {
    [row] = await store.query<Record<string, any>>(`SELECT ${exprs.join(', ')} FROM ${fileTable(f)}`, params);
  } catch (err) {
    throw new MwError('MW_ERR_REFERENCE_UNREADABLE', `${f.path}: ${(err as Error).message.split('\n')[0]}`, { path: f.path }, { cause: err });
  }
  p.rows = Number(row.__rows);
  numeric.forEach((c, i) => {
    const n = Number(row[`__n${i}`]);
    if (n === 0) {
      p.categorical.set(c.subject, { counts: new Map(), n: 0, nulls: p.rows });
      return;
    }
    p.numeric.set(c.subject, numericColumn({ feature: c.subject, n, mean: row[`__mean${i}`], sd: row[`__sd${i}`], mn: row[`__mn${i}`], mx: row[`__mx${i}`], q: row[`__q${i}`] }, p.rows - n));
  });
  for (const [i, c] of text.entries()) {
    const rows = await store.query<{ cat: string; cnt: string }>(
      `SELECT toString(\`${c.name}\`) AS __cat, count() AS __cnt
       FROM ${fileTable(f)} WHERE \`${c.name}\` IS NOT NULL GROUP BY __cat ORDER BY __cnt DESC, __cat LIMIT ${MAX_CATEGORIES}`,
      params,
    ).then((rs) => rs.map((r: any) => ({ cat: r.__cat, cnt: r.__cnt })));
    const col: CategoricalColumn = { counts: new Map(), n: 0, nulls: p.rows - Number(row[`__tn${i}`]) };
    for (const r of rows) {
      col.counts.set(r.cat, Number(r.cnt));
      col.n += Number(r.cnt);
    }
    p.categorical.set(c.subject, col);
  }
  return p;
}

