import { compareLocations, parseLocation } from './location.js';
import type { ParsedPanicOutput, SourceLocation } from './types.js';

export interface TargetMatch {
  /** Same file and line as the target panic. */
  matches: boolean;
  /** Same file and line, but the column (when both are known) differs. */
  columnDiffers: boolean;
  /** found.line − target.line in the same file; undefined when the files differ or nothing was found. */
  lineDrift?: number;
  /** Same file, a different line within a few lines: likely the same site after an edit (never a match). */
  nearby: boolean;
}

/**
 * Whether a run's failure is the target panic. Only a panic (or an abort that printed one) with a
 * location can match; compile errors, property failures and timeouts never do.
 */
export function matchTarget(
  found: Pick<ParsedPanicOutput, 'panicked' | 'location'> | undefined,
  target: SourceLocation | string,
  repoDir?: string,
): TargetMatch {
  const targetLocation = typeof target === 'string' ? parseLocation(target) : target;
  if (!found?.panicked || !found.location || !targetLocation) {
    return { matches: false, columnDiffers: false, nearby: false };
  }
  const comparison = compareLocations(found.location, targetLocation, repoDir);
  return {
    matches: comparison.matches,
    columnDiffers: comparison.matches && comparison.columnMatches === false,
    ...(comparison.lineDrift === undefined ? {} : { lineDrift: comparison.lineDrift }),
    nearby: comparison.nearby,
  };
}
