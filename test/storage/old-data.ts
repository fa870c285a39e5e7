/** A data directory as a version before the hour and day rollup levels left it: minute rollups only, months of history. */
import { createStore, type Store } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { LEVELS_MIGRATION } from '../../storage/backfill.ts';
import { predictionRow, prng, ts } from '../analyzer/seed.ts';

const DAY = 86_400_000;
/** Days before now of each burst of traffic: more than a year, so the day level has two partitions. */
export const AGES_DAYS = [2, 40, 77, 152, 227, 302, 377];

/** What was written, to compare the rollups with. */
export interface OldData {
  predictions: number;
  numValues: number;
  categories: Record<string, number>;
  nulls: number;
  gpuSamples: number;
}

/** Opens `dataDir`, applies the migrations before 0012 and writes traffic spread over AGES_DAYS; `now` anchors the ages. */
export async function writeOldData(dataDir: string, now = Date.now()): Promise<{ store: Store; data: OldData }> {
  const store = await createStore({ dataDir });
  await migrate(store, { upTo: LEVELS_MIGRATION - 1 });
  const rand = prng(7);
  const data: OldData = { predictions: 0, numValues: 0, categories: {}, nulls: 0, gpuSamples: 0 };
  const rows: Record<string, unknown>[] = [];
  const gpu: Record<string, unknown>[] = [];
  for (const age of AGES_DAYS) {
    const day = Math.floor((now - age * DAY) / DAY) * DAY;
    for (const hour of [1, 5, 13, 22]) {
      for (let i = 0; i < 15; i++) {
        const ms = day + hour * 3_600_000 + Math.floor(rand() * 3_600_000);
        const category = ['a', 'b', 'c'][i % 3];
        const isNull = i % 5 === 0;
        rows.push(predictionRow({
          ms, model: i % 2 ? 'm1' : 'm2', latency: 5 + rand() * 50, error: i % 7 === 0 ? 'timeout' : '',
          num: isNull ? { x: rand() } : { x: rand(), y: rand() * 10 }, cat: { c: category }, nulls: isNull ? ['y'] : [],
        }));
        data.predictions++;
        data.numValues += isNull ? 1 : 2;
        data.categories[category] = (data.categories[category] ?? 0) + 1;
        if (isNull) data.nulls++;
      }
      gpu.push({ ts: ts(day + hour * 3_600_000), host: 'h1', gpu_id: '0', gpu_name: 'H100', service: 's', metric: 'util', value: rand() * 100, attributes: {} });
      data.gpuSamples++;
    }
  }
  await store.insert('predictions', rows);
  await store.insert('gpu_samples', gpu);
  return { store, data };
}
