import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema } from '../../packages/core/src/config/schema.js';
import type { ToolsSettings } from '../../packages/core/src/tools-env.js';
import {
  applyFixturePatch,
  materialiseTarget,
  memoryTclTest,
  plantedPanics,
  type PlantedPanic,
} from '../../packages/testkit/src/target-repo/index.js';
import { baseContext, call, connect, text } from './helpers.js';

// The real example target (a Turso-shaped Rust workspace): cargo builds, the limbo_sim simulator, make, tclsh.
let repo: string;
let panic: PlantedPanic;
let client: Client;
let close: () => Promise<void>;
let settings: ToolsSettings;
let contextFile: string;

beforeAll(async () => {
  panic = (await plantedPanics()).find((p) => p.id === 'insert-partial-columns')!;
  ({ repo } = await materialiseTarget());
  applyFixturePatch(repo, panic.reference!.simulator_patch);
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-example-'));
  contextFile = path.join(dir, 'panic_context.json');
  const regressionTest = 'testing/panic_insert_partial_columns.test';
  await writeFile(
    contextFile,
    JSON.stringify(baseContext({ panic_location: panic.panic_location, regression_test: regressionTest })),
  );
  await writeFile(
    path.join(repo, regressionTest),
    memoryTclTest('panic-insert-partial-columns', panic.sql_statements, panic.expected_output!),
  );
  settings = {
    panicLocation: panic.panic_location,
    panicMessage: panic.panic_message,
    repoDir: repo,
    contextFile,
    outputDir: path.join(dir, 'out'),
    regressionTest,
    target: targetSchema.parse({ validationSeeds: 2 }),
  };
  // Each copy builds into its own target/ (a shared CARGO_TARGET_DIR can run another copy's binary).
  ({ client, close } = await connect(settings, {
    HOME: process.env.HOME ?? '/root',
    ...(process.env.RUSTUP_HOME ? { RUSTUP_HOME: process.env.RUSTUP_HOME } : {}),
    ...(process.env.CARGO_HOME ? { CARGO_HOME: process.env.CARGO_HOME } : {}),
  }));
}, 300_000);

afterAll(async () => {
  await close?.();
});

describe('the MCP tools on the example target', () => {
  it("run-simulator reproduces the planted panic with the reference seed and Turso's hook output", async () => {
    const result = await call(client, 'run-simulator', { seed: panic.reference!.seed });
    expect(result.isError, text(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      panic_found: true,
      matches_target: true,
      kind: 'panic',
      location: panic.panic_location,
      message: panic.panic_message,
    });
  });

  it('run-simulator reports a broken build as a compile error, not a panic', async () => {
    const file = path.join(repo, 'simulator', 'main.rs');
    const original = await readFile(file, 'utf8');
    await writeFile(file, `${original}\nfn broken() -> u32 { "not a number" }\n`);
    try {
      const broken = await call(client, 'run-simulator', { seed: 1 });
      expect(broken.isError).toBe(true);
      expect(broken.structuredContent).toMatchObject({ kind: 'compile_error', panic_found: false });
    } finally {
      await writeFile(file, original);
    }
  });

  it('validate-fix fails on the regression test before the fix, and passes after it', async () => {
    const before = await call(client, 'validate-fix', { failing_seed: panic.reference!.seed });
    expect(before.isError).toBe(true);
    expect(before.structuredContent).toMatchObject({ passed: false, failed_step: 'regression_test' });

    applyFixturePatch(repo, panic.reference!.fix_patch);
    const after = await call(client, 'validate-fix', { failing_seed: panic.reference!.seed });
    expect(after.isError, text(after)).toBeFalsy();
    const report = after.structuredContent as { passed: boolean; seeds: string[]; steps: { step: string }[] };
    expect(report.passed).toBe(true);
    expect(report.seeds).toHaveLength(3);
    expect(report.steps.map((s) => s.step)).toEqual([
      'regression_test',
      'test_suite',
      'failing_seed',
      'other_seeds',
    ]);
  });
});
