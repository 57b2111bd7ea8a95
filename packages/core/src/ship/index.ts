export * from './commit-message.js';
export * from './pr-text.js';
export * from './git-ops.js';
// markdown.ts and text.ts are internal helpers; import them by path when needed.
