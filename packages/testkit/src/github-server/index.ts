export * from './server.js';
export * from './openapi.js';
export * from './json-schema.js';
