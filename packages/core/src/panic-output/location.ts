import path from 'node:path';
import type { SourceLocation } from './types.js';

/** `file:line[:column]`, the file possibly a Windows path (`C:\x\y.rs:1:2`). */
export function parseLocation(text: string): SourceLocation | undefined {
  const match = /^(.+?):(\d+)(?::(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const line = Number(match[2]);
  if (!Number.isSafeInteger(line) || line <= 0) return undefined;
  const column = match[3] === undefined ? undefined : Number(match[3]);
  return { file: match[1]!, line, ...(column === undefined ? {} : { column }) };
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}${location.column === undefined ? '' : `:${location.column}`}`;
}

function slashes(file: string): string {
  return file.trim().replace(/\\/g, '/');
}

/**
 * A path as the repo sees it: forward slashes, no `./`, and relative to `repoDir` when it is an
 * absolute path inside it. Other absolute paths (std, registry crates) are left absolute.
 */
export function normaliseSourcePath(file: string, repoDir?: string): string {
  let result = slashes(file);
  if (repoDir) {
    const root = slashes(repoDir).replace(/\/+$/, '');
    if (root && result.startsWith(`${root}/`)) result = result.slice(root.length + 1);
  }
  if (isAbsolute(result)) return path.posix.normalize(result);
  const normalised = path.posix.normalize(result);
  return normalised === '.' ? '' : normalised;
}

export function isAbsolute(file: string): boolean {
  return file.startsWith('/') || /^[A-Za-z]:\//.test(file);
}

export interface LocationComparison {
  sameFile: boolean;
  /** Same file and line: the target panic. */
  matches: boolean;
  /** found.line − target.line, when the files are the same. */
  lineDrift?: number;
  /** Whether the columns agree, when both are known. */
  columnMatches?: boolean;
  /** Same file, a different line within ±5: likely the same site after a small edit, never a match. */
  nearby: boolean;
}

export const NEARBY_LINES = 5;

function sameFile(a: string, b: string): boolean {
  if (a === b) return a !== '';
  // An absolute path from another machine still names the same workspace file.
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  return shorter.includes('/') && longer.endsWith(`/${shorter}`);
}

export function compareLocations(
  found: SourceLocation,
  target: SourceLocation,
  repoDir?: string,
): LocationComparison {
  const same = sameFile(normaliseSourcePath(found.file, repoDir), normaliseSourcePath(target.file, repoDir));
  if (!same) return { sameFile: false, matches: false, nearby: false };
  const lineDrift = found.line - target.line;
  const columnMatches =
    found.column === undefined || target.column === undefined ? undefined : found.column === target.column;
  return {
    sameFile: true,
    matches: lineDrift === 0,
    lineDrift,
    ...(columnMatches === undefined ? {} : { columnMatches }),
    nearby: lineDrift !== 0 && Math.abs(lineDrift) <= NEARBY_LINES,
  };
}
