export * from './types.js';
export * from './outcome.js';
export * from './clock.js';
export * from './seeds.js';
export * from './run-seed.js';
export * from './validate.js';
