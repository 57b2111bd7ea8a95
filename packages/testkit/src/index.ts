export * from './scripted-model/index.js';
export * from './target-repo/index.js';
export * from './github-server/index.js';
export * from './workflow-harness/index.js';
export * from './actionlint/index.js';
export * from './cli/captured.js';
