export * from './server.js';
export * from './openapi.js';
export * from './json-schema.js';
export * from './git-http.js';
