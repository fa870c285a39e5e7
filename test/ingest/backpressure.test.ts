import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';

// Its own file: the embedded engine binds one data directory per process.
describe('backpressure', () => {
  it('503 with Retry-After when the queue is full', async () => {
    const full = await startTestServer({ 'writer.maxQueueRows': 1 });
    try {
      const res = await fetch(`${full.url}/v1/predictions`, {
        method: 'POST',
        body: [1, 2].map((i) => JSON.stringify({ model: 'q', id: String(i), features: {} })).join('\n'),
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await res.json()).toMatchObject({ error: 'MW_ERR_QUEUE_FULL' });
    } finally {
      await full.stop();
    }
  });
});
