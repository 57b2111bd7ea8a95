import path from 'node:path';
import { SANDBOX_ID_PATTERN } from './manifest.js';

export function assertSandboxId(id: string): void {
  if (!SANDBOX_ID_PATTERN.test(id)) {
    throw new Error(`invalid sandbox id ${JSON.stringify(id)}: use 1-100 characters from [A-Za-z0-9_-]`);
  }
}

/** A commit given by config or the database; checked before it reaches git's argv. */
export function assertCommitish(sha: string): void {
  if (!/^[0-9a-f]{7,40}$/.test(sha))
    throw new Error(`invalid base commit ${JSON.stringify(sha)}: expected a hex SHA`);
}

/** True when `inner` is `outer` or lies below it (both absolute, normalized). */
export function isInside(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Overlay mount options are a comma-separated list and lowerdir a colon-separated one; the kernel
 * offers no portable escaping, so such paths cannot be passed at all.
 */
export function assertOverlaySafePath(label: string, dir: string): void {
  if (/[,:\\\n]/.test(dir)) {
    throw new Error(
      `overlay sandbox: the ${label} path ${JSON.stringify(dir)} contains ',', ':', '\\' or a newline, which overlay mount options cannot express; use another directory`,
    );
  }
}

/** Normalizes a repo-relative subdir; rejects anything that escapes the repository. */
export function normalizeSubdir(subdir: string | undefined): string {
  if (subdir === undefined || subdir === '' || subdir === '.') return '.';
  if (subdir.includes('\0')) throw new Error('sandbox subdir must not contain NUL');
  if (path.posix.isAbsolute(subdir))
    throw new Error(`sandbox subdir ${JSON.stringify(subdir)} must be relative to the repository`);
  const normalized = path.posix.normalize(subdir).replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new Error(`sandbox subdir ${JSON.stringify(subdir)} escapes the repository`);
  }
  // A leading "./" keeps `cd` from reading a name like "-P" as an option.
  return normalized === '.' ? '.' : `./${normalized}`;
}

/** `exec "$@"` in the wrappers would read a leading '-' as an option of exec itself. */
export function assertArgv(argv: readonly string[]): void {
  const [program] = argv;
  if (!program) throw new Error('sandbox: empty argv');
  if (program.startsWith('-'))
    throw new Error(`sandbox: program name ${JSON.stringify(program)} must not start with '-'`);
  if (argv.some((a) => a.includes('\0'))) throw new Error('sandbox: argv elements must not contain NUL');
}
