import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The panic-fix checkout this code runs from when run from source (the CLI, tests, benchmarks):
 * `prompts/` and the MCP server bundle live there. Bundled actions find theirs from the action's own
 * file instead (`homeDirFromAction`).
 */
export const PANIC_FIX_HOME = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
