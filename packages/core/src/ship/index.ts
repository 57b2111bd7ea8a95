export * from './commit-message.js';
export * from './pr-text.js';
export * from './markdown.js';
export * from './text.js';
export * from './git-ops.js';
