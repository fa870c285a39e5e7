/** Pure drift statistics (no I/O). See docs/drift.md for the exact definitions. */
export * from './util.ts';
export * from './ks.ts';
export * from './cvm.ts';
export * from './anderson.ts';
export * from './wasserstein.ts';
export * from './energy.ts';
export * from './binned.ts';
export * from './categorical.ts';
export * from './choose.ts';
export * from './column.ts';
