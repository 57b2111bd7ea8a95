import { isDeepStrictEqual } from 'node:util';
import { JobSetupError } from './errors.js';

export type MatrixLeg = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Expands an evaluated `strategy.matrix` the way GitHub does: the cartesian product of the axes, minus `exclude`
 * matches, then each `include` entry extends every combination whose original values it does not overwrite, or
 * becomes a combination of its own.
 */
export function expandMatrix(matrix: unknown): MatrixLeg[] {
  if (!isObject(matrix))
    throw new JobSetupError(`strategy.matrix must be a mapping, got ${JSON.stringify(matrix)}`);
  const { include = [], exclude = [], ...axes } = matrix;
  if (!Array.isArray(include) || !include.every(isObject)) {
    throw new JobSetupError('strategy.matrix.include must be a sequence of mappings');
  }
  if (!Array.isArray(exclude) || !exclude.every(isObject)) {
    throw new JobSetupError('strategy.matrix.exclude must be a sequence of mappings');
  }

  let legs: MatrixLeg[] = [];
  const axisNames = Object.keys(axes);
  if (axisNames.length > 0) {
    legs = [{}];
    for (const name of axisNames) {
      const values = axes[name];
      if (!Array.isArray(values)) throw new JobSetupError(`matrix axis '${name}' must be a sequence`);
      if (values.length === 0) throw new JobSetupError(`matrix vector '${name}' does not contain any values`);
      legs = legs.flatMap((leg) => values.map((value) => ({ ...leg, [name]: value })));
    }
    legs = legs.filter(
      (leg) =>
        !exclude.some((rule) =>
          Object.entries(rule).every(([key, value]) => isDeepStrictEqual(leg[key], value)),
        ),
    );
  }

  const originals = legs.map((leg) => ({ ...leg }));
  const added: MatrixLeg[] = [];
  for (const entry of include) {
    let matched = false;
    legs.forEach((leg, index) => {
      const original = originals[index]!;
      const overwritesOriginal = Object.entries(entry).some(
        ([key, value]) => key in original && !isDeepStrictEqual(original[key], value),
      );
      if (overwritesOriginal) return;
      legs[index] = { ...leg, ...entry };
      matched = true;
    });
    if (!matched) added.push({ ...entry });
  }
  const all = [...legs, ...added];
  if (all.length === 0)
    throw new JobSetupError('matrix must define at least one vector (it expanded to no jobs)');
  return all;
}

/** GitHub's leg display name: `job (value1, value2)` from the leg's scalar values. */
export function legName(jobId: string, leg: MatrixLeg | undefined): string {
  if (!leg) return jobId;
  const parts = Object.values(leg).map((value) =>
    typeof value === 'object' ? JSON.stringify(value) : String(value),
  );
  return `${jobId} (${parts.join(', ')})`;
}
