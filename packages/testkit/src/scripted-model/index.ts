export * from './types.js';
export * from './turns.js';
export * from './server.js';
export * from './claude-env.js';
