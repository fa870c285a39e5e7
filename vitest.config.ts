import { defineConfig } from 'vitest/config';

// Each test file runs in its own forked process: the embedded ClickHouse engine is a
// process singleton bound to one data directory.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    pool: 'forks',
    isolate: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
