export * from './types.js';
export * from './location.js';
export * from './backtrace.js';
export { PanicOutputScanner, stripTracingPrefix, isTracingLine, type OutputFindings } from './scanner.js';
export { classifyFindings } from './classify.js';
export * from './parse.js';
export * from './match.js';
