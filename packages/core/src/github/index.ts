export * from './draft-pr.js';
export * from './retry.js';
