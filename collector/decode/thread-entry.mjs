// Entry of a decode thread: a worker thread does not inherit the TypeScript loader the main thread
// registered (bin/modelwatch.mjs), so it registers its own before loading the thread's code.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
