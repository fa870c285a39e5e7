export * from './compute.ts';
export * from './job.ts';
export * from './methods.ts';
export * from './profile.ts';
export * from './reference.ts';
export * from './sketch.ts';
