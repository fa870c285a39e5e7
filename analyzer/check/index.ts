export * from './contract.ts';
export * from './evaluate.ts';
export * from './learn.ts';
export * from './observe.ts';
export * from './observed.ts';
