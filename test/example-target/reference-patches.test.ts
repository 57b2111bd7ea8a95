// Each real planted panic's reference changes: the simulator change (as Edit tool inputs and as a
// patch, which must agree) makes the documented seed panic at the documented location in Turso's
// report format; the fix makes that seed, nearby seeds and the TCL regression test pass.
import { afterAll, describe, expect, it } from 'vitest';
import { parsePanicOutput } from '../../packages/core/src/panic-output/index.js';
import {
  applyEdits,
  applyFixturePatch,
  gitIn,
  plantedPanics,
  readEdits,
} from '../../packages/testkit/src/target-repo/index.js';
import {
  addRegressionTest,
  freshTarget,
  mustRun,
  parseSimulatorPanic,
  removeTargets,
  run,
  simulatorBinary,
} from './helpers.js';

afterAll(removeTargets);

const panics = (await plantedPanics()).filter((p) => p.reference !== undefined);

describe.each(panics.map((p) => [p.id, p] as const))('reference changes for %s', (_id, panic) => {
  const reference = panic.reference!;
  const seed = String(reference.seed);

  it('edits and patches agree, and each applies to the pristine target on its own', async () => {
    const viaEdits = await freshTarget();
    const viaPatches = await freshTarget();
    await applyEdits(viaEdits.repo, await readEdits(reference.simulator_edits));
    applyFixturePatch(viaPatches.repo, reference.simulator_patch);
    expect(gitIn(viaEdits.repo, ['diff'])).toBe(gitIn(viaPatches.repo, ['diff']));
    const changed = gitIn(viaEdits.repo, ['diff', '--name-only']).split('\n');
    expect(changed.every((file) => file.startsWith('simulator/'))).toBe(true);

    const fixOnly = await freshTarget();
    await applyEdits(fixOnly.repo, await readEdits(reference.fix_edits));
    const fixed = gitIn(fixOnly.repo, ['diff']);
    const fixOnlyPatch = await freshTarget();
    applyFixturePatch(fixOnlyPatch.repo, reference.fix_patch);
    expect(gitIn(fixOnlyPatch.repo, ['diff'])).toBe(fixed);
    expect(
      gitIn(fixOnly.repo, ['diff', '--name-only'])
        .split('\n')
        .every((f) => f.startsWith('core/')),
    ).toBe(true);
  });

  it('simulator change → the seed panics at the planted location; fix → seed and regression test pass', async () => {
    const { repo } = await freshTarget();
    await applyEdits(repo, await readEdits(reference.simulator_edits));
    await mustRun(repo, ['cargo', 'build', '-p', 'limbo_sim', '--bin', 'limbo_sim']);

    const failing = await run(repo, [simulatorBinary(repo), '--seed', seed]);
    expect(failing.exitCode).toBe(1);
    const report = parseSimulatorPanic(failing.stdoutTail, failing.stderrTail);
    expect(report).toEqual({
      message: panic.panic_message,
      location: panic.panic_location,
      seed,
      error: panic.panic_message,
    });

    // The pipeline's own parser reads the same location from the hook's backtrace.
    const parsed = parsePanicOutput({
      stdout: failing.stdoutTail,
      stderr: failing.stderrTail,
      exitCode: failing.exitCode,
      signal: failing.signal,
      timedOut: false,
      repoDir: repo,
    });
    expect(parsed).toMatchObject({
      kind: 'panic',
      form: 'simulator-hook',
      location: { file: panic.panic_location.split(':')[0] },
      message: panic.panic_message,
    });
    expect(`${parsed.location?.file}:${parsed.location?.line}:${parsed.location?.column}`).toBe(
      panic.panic_location,
    );

    // The regression test fails before the fix, because the shell panics.
    const name = `regression-${panic.id}`;
    await addRegressionTest(repo, `${name}.test`, name, panic.sql_statements, panic.expected_output!);
    const before = await run(repo, ['make', 'test-single', `TEST=${name}.test`]);
    expect(before.exitCode).not.toBe(0);
    expect(before.tail).toContain(`panicked at ${panic.panic_location}:`);

    await applyEdits(repo, await readEdits(reference.fix_edits));
    await mustRun(repo, ['cargo', 'build', '-p', 'limbo_sim', '--bin', 'limbo_sim']);
    const passing = await run(repo, [simulatorBinary(repo), '--seed', seed]);
    expect(passing.exitCode, passing.tail.slice(-3000)).toBe(0);
    expect(passing.stdoutTail).toContain('simulation succeeded');
    // The fix holds on other seeds of the extended simulator too (what validation seeds check).
    for (let other = 0; other < 10; other++) {
      const result = await run(repo, [simulatorBinary(repo), '--seed', String(other)]);
      expect(result.exitCode, `seed ${other}: ${result.tail.slice(-3000)}`).toBe(0);
    }

    const after = await mustRun(repo, ['make', 'test-single', `TEST=${name}.test`]);
    expect(after.tail).toContain(`PASS: ${name}`);
    // The registered test also runs, and passes, in the full suite.
    const suite = await mustRun(repo, ['make', 'test']);
    expect(suite.tail).toContain(`PASS: ${name}`);
  });
});
