import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore, type Store } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';

/** A migrated embedded store in a fresh temp directory; `cleanup` closes it and removes the directory. */
export async function createTestStore(): Promise<{ store: Store; dataDir: string; cleanup: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-test-'));
  const store = await createStore({ dataDir });
  await migrate(store);
  return {
    store,
    dataDir,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
