export * from './config/schema.js';
export * from './clock/protocol.js';
export * from './clock/client.js';
export * from './tools-env.js';
export * from './context-file.js';
export * from './util/atomic-write.js';
export * from './util/run-command.js';
