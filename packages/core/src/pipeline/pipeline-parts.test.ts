import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ArtifactError,
  artifactPath,
  loadArtifact,
  writeArtifactSummary,
  type ArtifactSummary,
} from './artifact.js';
import { readHandoff, writeHandoff, type Handoff } from './handoff.js';
import { allowedReproducerPath } from './reproduce.js';
import { targetEnv, writeIntoSandbox } from './sandbox-io.js';
import type { Sandbox } from '../sandbox/types.js';

const SHA = 'a'.repeat(40);
const LOCATION = 'core/vdbe/execute.rs:10:5';

function summary(overrides: Partial<ArtifactSummary> = {}): ArtifactSummary {
  return {
    version: 1,
    panic_location: LOCATION,
    slug: 'core-vdbe-execute-10-5-abc',
    branch: 'fix/panic-core-vdbe-execute-10-5-abc',
    base_commit: SHA,
    failing_seed: '18446744073709551615',
    regression_test: { path: 'testing/panic-x.test', format: 'tcl' },
    validation: [{ name: 'regression_test', ok: true, durationMs: 12 }],
    phases: { reproducing: { outcome: 'verified', attempts: 1, durationMs: 10 } },
    backend: 'overlay',
    ...overrides,
  };
}

async function artifactDir(opts: { patch?: string; context?: unknown; summary?: unknown } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'artifact-'));
  if (opts.summary === undefined) await writeArtifactSummary(dir, summary());
  else await writeFile(artifactPath(dir, 'summary'), JSON.stringify(opts.summary));
  await writeFile(
    artifactPath(dir, 'context'),
    JSON.stringify(
      opts.context ?? {
        panic_location: LOCATION,
        panic_message: 'boom',
        sql_statements: 'SELECT 1;',
        regression_test: 'testing/panic-x.test',
        base_commit: SHA,
      },
    ),
  );
  if (opts.patch !== undefined) await writeFile(artifactPath(dir, 'patch'), opts.patch);
  return dir;
}

describe('artifact', () => {
  it('loads a valid artifact, keeping a u64 seed exact', async () => {
    const loaded = await loadArtifact(await artifactDir({ patch: 'diff --git a/x b/x\n' }), LOCATION);
    expect(loaded.summary.failing_seed).toBe('18446744073709551615');
    expect(loaded.patchBytes).toBeGreaterThan(0);
  });

  it('refuses an artifact of another panic, an empty or missing patch, and a tampered summary', async () => {
    await expect(loadArtifact(await artifactDir({ patch: 'x' }), 'core/other.rs:1:1')).rejects.toThrow(
      /different panic/,
    );
    await expect(loadArtifact(await artifactDir({ patch: '' }), LOCATION)).rejects.toThrow(/empty/);
    await expect(loadArtifact(await artifactDir(), LOCATION)).rejects.toThrow(/no patch/);
    await expect(
      loadArtifact(
        await artifactDir({ patch: 'x', summary: { ...summary(), base_commit: 'HEAD; rm -rf /' } }),
        LOCATION,
      ),
    ).rejects.toThrow(ArtifactError);
    await expect(
      loadArtifact(await artifactDir({ patch: 'x', context: { nope: 1 } }), LOCATION),
    ).rejects.toThrow(/panic context is invalid/);
  });
});

describe('hand-off between reproduce and fix', () => {
  it('round-trips and refuses another panic or a corrupt file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'handoff-'));
    const file = path.join(dir, 'h.json');
    const handoff: Handoff = {
      version: 1,
      panic_location: LOCATION,
      base_commit: SHA,
      failing_seed: 17,
      regression_test: { format: 'tcl', path: 'testing/panic-x.test', expectedFrom: 'sqlite3' },
      test_digest: 'd',
      simulator_files: { 'simulator/generation.rs': 'abc' },
      reproducing: { outcome: 'verified', attempts: 1, durationMs: 1 },
    };
    await writeHandoff(file, handoff);
    expect(await readHandoff(file, LOCATION)).toEqual(handoff);
    await expect(readHandoff(file, 'core/x.rs:1:1')).rejects.toThrow(/another panic/);
    await writeFile(file, '{"version": 1');
    await expect(readHandoff(file, LOCATION)).rejects.toThrow(/no usable hand-off/);
  });
});

describe('reproducer path rule', () => {
  it('allows the simulator and the pipeline files only', () => {
    const sim = ['simulator/', 'sql_generation/'];
    const own = ['testing/panic-x.test', 'testing/all.test'];
    expect(allowedReproducerPath('simulator/generation.rs', sim, own)).toBe(true);
    expect(allowedReproducerPath('sql_generation/src/a.rs', sim, own)).toBe(true);
    expect(allowedReproducerPath('testing/all.test', sim, own)).toBe(true);
    expect(allowedReproducerPath('core/vdbe/execute.rs', sim, own)).toBe(false);
    expect(allowedReproducerPath('simulatorx/evil.rs', sim, own)).toBe(false);
    expect(allowedReproducerPath('testing/select.test', sim, own)).toBe(false);
  });
});

describe('sandbox I/O', () => {
  it('strips secrets from the environment of target commands', () => {
    const env = targetEnv({
      PATH: '/bin',
      GITHUB_TOKEN: 'g',
      TURSO_AUTH_TOKEN: 't',
      TURSO_URL: 'u',
      ANTHROPIC_API_KEY: 'k',
      PANIC_FIX_X: '1',
      INPUT_CONFIG: 'c',
      CARGO_HOME: '/c',
    });
    expect(env).toEqual({ PATH: '/bin', CARGO_HOME: '/c' });
  });

  it('refuses to write outside the repository before touching the sandbox', async () => {
    const sandbox = {
      scratchDir: tmpdir(),
      run: () => {
        throw new Error('must not run');
      },
    } as unknown as Sandbox;
    await expect(writeIntoSandbox(sandbox, '../escape', 'x')).rejects.toThrow(/outside the repository/);
    await expect(writeIntoSandbox(sandbox, '/etc/passwd', 'x')).rejects.toThrow(/outside the repository/);
    await expect(writeIntoSandbox(sandbox, 'testing/../../x', 'x')).rejects.toThrow(/outside the repository/);
  });
});
