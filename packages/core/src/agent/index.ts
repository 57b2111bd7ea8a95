export * from './env.js';
export * from './mcp-config.js';
export * from './stream-json.js';
export * from './transcript.js';
export * from './run-agent.js';
