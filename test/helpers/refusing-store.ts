import type { Store } from '../../storage/client.ts';
import { decodeNativeBlocks } from '../../storage/native/decode.ts';
import { NATIVE_TABLES } from '../../storage/native/tables.ts';

/**
 * The store, except that a Native insert holding the prediction `id` fails as ClickHouse fails on a
 * row it cannot parse (code 27). Native rows are typed before they leave, so ClickHouse has no row to
 * refuse in them short of a failure of its own: tests of the writer's split path inject one here,
 * on top of the real store.
 */
export function refusingPrediction(store: Store, id: string): Store {
  return {
    ...store,
    insertNative: async (table, columns, body, o) => {
      if (decodeNativeBlocks(NATIVE_TABLES[table], Buffer.isBuffer(body) ? body : Buffer.concat(body)).some((r) => r.prediction_id === id)) {
        throw Object.assign(new Error('Code: 27. DB::Exception: Cannot parse input (injected)'), { clickhouseCode: 27 });
      }
      return store.insertNative(table, columns, body, o);
    },
  };
}
