import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
import { targetEnv } from '../agent/env.js';
import { writeFilesIntoSandbox } from './sandbox-io.js';
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
  if (opts.patch !== undefined) {
    await writeFile(artifactPath(dir, 'patch'), opts.patch);
    await writeFile(artifactPath(dir, 'manifest'), JSON.stringify(manifestFor(opts.patch)));
  }
  return dir;
}

/** The manifest the fix job's export writes for this patch. */
function manifestFor(patch: string, overrides: Record<string, unknown> = {}) {
  const empty = patch.length === 0;
  return {
    version: 1,
    sandboxId: 'panic-x',
    backend: 'overlay',
    baseSha: SHA,
    patchFile: 'changes.patch',
    patchBytes: Buffer.byteLength(patch),
    patchSha256: createHash('sha256').update(patch).digest('hex'),
    filesChanged: empty ? 0 : 1,
    files: empty ? [] : [{ status: 'M', path: 'x' }],
    createdAt: '2026-01-01T00:00:00.000Z',
    exportedAt: '2026-01-01T00:01:00.000Z',
    ...overrides,
  };
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

  it('refuses a patch that is not the one the fix job exported, or has no manifest', async () => {
    const patch = 'diff --git a/x b/x\n';
    const edited = await artifactDir({ patch });
    await writeFile(artifactPath(edited, 'patch'), patch.replace('x b', 'y b'));
    await expect(loadArtifact(edited, LOCATION)).rejects.toThrow(
      "the artifact patch is not the one exported: it does not match the manifest's SHA-256",
    );
    const truncated = await artifactDir({ patch });
    await writeFile(artifactPath(truncated, 'patch'), patch.slice(0, 5));
    await expect(loadArtifact(truncated, LOCATION)).rejects.toThrow(/has 5 bytes but the manifest says 19/);
    const otherBase = await artifactDir({ patch });
    await writeFile(
      artifactPath(otherBase, 'manifest'),
      JSON.stringify(manifestFor(patch, { baseSha: 'b'.repeat(40) })),
    );
    await expect(loadArtifact(otherBase, LOCATION)).rejects.toThrow(
      /exported against bbbbbbbbbbbb but the summary names base aaaaaaaaaaaa/,
    );
    const noManifest = await artifactDir({ patch });
    await rm(artifactPath(noManifest, 'manifest'));
    await expect(loadArtifact(noManifest, LOCATION)).rejects.toThrow(
      'the artifact has no sandbox manifest (sandbox-manifest.json: ENOENT)',
    );
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
    await expect(writeFilesIntoSandbox(sandbox, [{ path: '../escape', content: 'x' }])).rejects.toThrow(
      /outside the repository/,
    );
    await expect(writeFilesIntoSandbox(sandbox, [{ path: '/etc/passwd', content: 'x' }])).rejects.toThrow(
      /outside the repository/,
    );
    await expect(writeFilesIntoSandbox(sandbox, [{ path: 'testing/../../x', content: 'x' }])).rejects.toThrow(
      /outside the repository/,
    );
  });
});
