import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { createClockClient } from '../clock/client.js';
import { targetSchema } from '../config/schema.js';
import { runCommand } from '../util/run-command.js';
import { runSimulatorSeed, validateFix, validationSeeds, type SimExec } from './index.js';

const FAKE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../test/mcp-tools/fake-target.mjs',
);
const target = targetSchema.parse({
  simulatorCommand: [process.execPath, FAKE, 'sim', '--seed', '{seed}'],
  testCommand: [process.execPath, FAKE, 'test'],
  singleTestCommand: [process.execPath, FAKE, 'test-single', 'TEST={test}', 'PATH={testPath}'],
  validationSeeds: 4,
});

let repo: string;
let outputDir: string;
let exec: SimExec;

beforeEach(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sim-'));
  repo = path.join(dir, 'repo');
  outputDir = path.join(dir, 'out');
  await mkdir(path.join(repo, '.fake'), { recursive: true });
  exec = (argv, opts) =>
    runCommand({ argv, cwd: repo, timeoutMs: opts.timeoutMs, outputFile: opts.outputFile, killGraceMs: 500 });
});

const fake = (name: string, content = '') => writeFile(path.join(repo, '.fake', name), content);
const calls = async () =>
  (await readFile(path.join(repo, '.fake', 'calls'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as string[]);

describe('validationSeeds', () => {
  it('is deterministic, distinct, and never the failing seed', () => {
    const seeds = validationSeeds('18446744073709551615', 50);
    expect(seeds).toEqual(validationSeeds('18446744073709551615', 50));
    expect(new Set(seeds).size).toBe(50);
    expect(seeds).not.toContain('18446744073709551615');
    expect(validationSeeds(1, 3)).not.toEqual(validationSeeds(2, 3));
  });
});

describe('runSimulatorSeed', () => {
  it('finds the simulator-hook panic, normalises the absolute repo path and matches the target', async () => {
    await fake('panic-seeds', '42\n');
    await mkdir(outputDir, { recursive: true });
    const result = await runSimulatorSeed({
      exec,
      target,
      seed: 42,
      outputFile: path.join(outputDir, 'run.log'),
      targetLocation: 'core/vdbe/execute.rs:100:9',
      repoDir: repo,
    });
    expect(result).toMatchObject({
      seed: '42',
      panicFound: true,
      kind: 'panic',
      location: 'core/vdbe/execute.rs:100:5',
      message: 'assertion failed: cursor is valid',
      match: { matches: true, columnDiffers: true },
      passed: false,
      exitCode: 1,
      clock: 'not_configured',
    });
    expect(await readFile(result.outputFile, 'utf8')).toContain('panic occurred');
  });

  it('passes a clean seed and reports a compile error as such', async () => {
    await mkdir(outputDir, { recursive: true });
    const clean = await runSimulatorSeed({
      exec,
      target,
      seed: '7',
      outputFile: path.join(outputDir, 'a.log'),
    });
    expect(clean).toMatchObject({ passed: true, panicFound: false, kind: 'none' });
    await fake('compile-error');
    const broken = await runSimulatorSeed({
      exec,
      target,
      seed: '7',
      outputFile: path.join(outputDir, 'b.log'),
      targetLocation: 'core/vdbe/execute.rs:3:20',
    });
    expect(broken).toMatchObject({ kind: 'compile_error', panicFound: false, match: { matches: false } });
  });

  it('reports a missing simulator binary', async () => {
    await mkdir(outputDir, { recursive: true });
    const missing = targetSchema.parse({ simulatorCommand: ['/nonexistent/limbo_sim', '{seed}'] });
    const result = await runSimulatorSeed({
      exec,
      target: missing,
      seed: 1,
      outputFile: path.join(outputDir, 'm.log'),
    });
    expect(result).toMatchObject({
      passed: false,
      panicFound: false,
      spawnError: 'program not found: /nonexistent/limbo_sim',
    });
  });
});

describe('validateFix', () => {
  it('runs every step, the failing seed first and alone, and passes a clean fix', async () => {
    const result = await validateFix({
      exec,
      target,
      regressionTest: 'testing/panic_core_vdbe.test',
      failingSeed: '42',
      parallelism: 2,
      outputDir,
    });
    expect(result.passed).toBe(true);
    expect(result.steps.map((s) => s.step)).toEqual([
      'regression_test',
      'test_suite',
      'failing_seed',
      'other_seeds',
    ]);
    expect(result.seeds).toHaveLength(5);
    const ran = await calls();
    expect(ran[0]).toEqual(['test-single', 'TEST=panic_core_vdbe.test', 'PATH=testing/panic_core_vdbe.test']);
    expect(ran[1]).toEqual(['test']);
    expect(ran[2]).toEqual(['sim', '--seed', '42']);
    expect(
      ran
        .slice(3)
        .map((c) => c[2])
        .sort(),
    ).toEqual(result.seeds.slice(1).sort());
  });

  it('stops at the fast step when the regression test fails', async () => {
    await fake('single-fails');
    const result = await validateFix({
      exec,
      target,
      regressionTest: 'testing/x.test',
      failingSeed: 1,
      outputDir,
    });
    expect(result).toMatchObject({
      passed: false,
      failedStep: 'regression_test',
      skippedSteps: ['test_suite', 'failing_seed', 'other_seeds'],
    });
    expect(result.steps[0]?.command?.exitCode).toBe(1);
    expect(await calls()).toHaveLength(1);
  });

  it('says which other seed failed', async () => {
    const bad = validationSeeds(5, 4)[2]!;
    await fake('panic-seeds', `${bad}\n`);
    const result = await validateFix({
      exec,
      target,
      regressionTest: 'testing/x.test',
      failingSeed: 5,
      outputDir,
    });
    expect(result).toMatchObject({
      passed: false,
      failedStep: 'other_seeds',
      failedSeed: bad,
      failedSeeds: [bad],
    });
    const seeds = result.steps[3]!.seeds!;
    expect(seeds.find((s) => s.seed === bad)?.tail).toContain('panic occurred');
    expect(seeds.filter((s) => s.passed).every((s) => s.tail === '')).toBe(true);
  });

  it('fails the failing seed when it still panics, and counts runs on a reachable clock', async () => {
    const heard: string[] = [];
    const server = createServer((req, res) => {
      heard.push(`${req.method} ${req.url?.replace(/runs\/[^/]+/, 'runs/ID')} ${req.headers.authorization}`);
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await fake('panic-seeds', '9\n');
    const result = await validateFix({
      exec,
      target,
      regressionTest: 'testing/x.test',
      failingSeed: 9,
      outputDir,
      clock: createClockClient({ url, token: 'a'.repeat(32) }),
    }).finally(() => server.close());
    expect(result).toMatchObject({
      passed: false,
      failedStep: 'failing_seed',
      failedSeed: '9',
      clock: 'reached',
    });
    expect(heard).toHaveLength(6);
    expect(heard.filter((h) => h.startsWith('POST /runs/ID/started'))).toHaveLength(3);
    expect(heard.every((h) => h.endsWith(`Bearer ${'a'.repeat(32)}`))).toBe(true);
  });

  it('still validates when the clock is unreachable, and says so', async () => {
    const result = await validateFix({
      exec,
      target: { ...target, validationSeeds: 1 },
      regressionTest: 'testing/x.test',
      failingSeed: 3,
      outputDir,
      clock: createClockClient({ url: 'http://127.0.0.1:1', token: 'b'.repeat(32) }),
    });
    expect(result).toMatchObject({ passed: true, clock: 'unreachable' });
    expect(result.clockErrors[0]).toMatch(/unreachable/);
  });
});
