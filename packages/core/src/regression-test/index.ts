export * from './detect-format.js';
export * from './file.js';
export * from './oracle.js';
export * from './outcome.js';
export * from './split-sql.js';
export * from './sqltest.js';
export * from './tcl.js';
export { tclArg, tclList, tclListElement, tclWord } from './tcl-quote.js';
