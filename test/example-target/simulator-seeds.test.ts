// The pristine simulator: deterministic, Turso-like command line, and clean for seeds 0..999 (so a
// reproducer of a planted panic really has to extend the generator).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTarget, mustRun, removeTargets, run, simulatorBinary } from './helpers.js';

const SEEDS = 1000;
const PARALLEL = 2;

let repo: string;

afterAll(removeTargets);

beforeAll(async () => {
  ({ repo } = await freshTarget());
  await mustRun(repo, ['cargo', 'build', '-p', 'limbo_sim']);
});

describe('pristine simulator', () => {
  it(`passes seeds 0..${SEEDS - 1}, each run its own process with exit 0`, async () => {
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < SEEDS) {
        const seed = next++;
        const result = await run(repo, [simulatorBinary(repo), '--seed', String(seed)]);
        const ok =
          result.exitCode === 0 &&
          result.stdoutTail.includes('simulation succeeded\n') &&
          result.stdoutTail.includes(`seed: ${seed}\n`);
        if (!ok) failures.push(`seed ${seed} exited ${result.exitCode}:\n${result.tail.slice(-2000)}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(failures).toEqual([]);
  });

  it('generates the same plan for the same seed and different plans for different seeds', async () => {
    const a = await mustRun(repo, [simulatorBinary(repo), '--seed', '4242']);
    const b = await mustRun(repo, [simulatorBinary(repo), '-s', '4242']);
    const c = await mustRun(repo, [simulatorBinary(repo), '--seed', '4243']);
    expect(a.stdoutTail).toBe(b.stdoutTail);
    expect(a.stdoutTail).not.toBe(c.stdoutTail);
    expect(a.stdoutTail).toMatch(/interaction=CREATE TABLE /);
    expect(a.stdoutTail).toMatch(/interaction=INSERT INTO /);
    expect(a.stdoutTail).toMatch(/interaction=SELECT /);
  });

  it('runs through cargo run -p limbo_sim and honours --maximum-tests', async () => {
    const result = await mustRun(repo, [
      'cargo',
      'run',
      '-q',
      '-p',
      'limbo_sim',
      '--',
      '--seed',
      '7',
      '--maximum-tests',
      '5',
    ]);
    const executed = result.stdoutTail.split('\n').filter((line) => line.endsWith(': executing'));
    expect(executed.length).toBeGreaterThan(0);
    expect(executed.length).toBeLessThanOrEqual(5);
    expect(result.stdoutTail).toContain('seed: 7\n');
  });

  it('rejects unknown flags with a usage error', async () => {
    const result = await run(repo, [simulatorBinary(repo), '--no-such-flag']);
    expect(result.exitCode).toBe(2);
    expect(result.stderrTail).toContain("unexpected argument '--no-such-flag'");
  });
});
