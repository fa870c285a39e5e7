#!/usr/bin/env -S node --max-semi-space-size=64
// Entry point: registers the TypeScript loader, then runs the CLI from source. The larger young
// generation cuts garbage-collection time on the ingest path by about a third (BENCHMARKS.md).
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
