import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { PanicStore } from '../store/panic-store.js';
import { PreflightError, runPreflight } from './preflight.js';
import { consoleReporter } from './reporter.js';

async function setup(build: string[]) {
  const dir = await mkdtemp(path.join(tmpdir(), 'preflight-'));
  const repo = path.join(dir, 'repo');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  await writeFile(path.join(repo, 'a.txt'), 'a\n');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], {
      cwd: repo,
      encoding: 'utf8',
    }).trim();
  git('add', '.');
  git('commit', '-qm', 'base');
  const counter = path.join(dir, 'builds');
  const config = configSchema.parse({
    tursoUrl: `file:${path.join(dir, 'state.db')}`,
    baseRepoPath: repo,
    target: { buildCommand: build, testCommand: ['sh', '-c', 'echo run >> "$0"', counter] },
  });
  const store = await PanicStore.open(config.tursoUrl);
  await store.enqueue({
    panic_location: 'core/a.rs:1:1',
    panic_message: 'assertion failed: x',
    sql_statements: 'SELECT 1;',
  });
  await store.enqueue({
    panic_location: 'core/b.rs:2:2',
    panic_message: 'not yet implemented: CREATE INDEX',
    sql_statements: 'CREATE INDEX i ON t(a);',
  });
  return { dir, repo, git, config, store, counter };
}

const quiet = consoleReporter('', () => undefined);

describe('preflight', () => {
  it('verifies the base once per commit, skips unimplemented features and claims the rest', async () => {
    const { config, store, counter } = await setup(['true']);
    const first = await runPreflight({ config, store, owner: 'run-1', reporter: quiet });
    expect(first.verdict.cached).toBe(false);
    expect(first.claimed.map((c) => c.location)).toEqual(['core/a.rs:1:1']);
    expect(first.skipped).toEqual([
      { location: 'core/b.rs:2:2', reason: expect.stringMatching(/not yet implemented/) },
    ]);
    expect((await store.require('core/a.rs:1:1')).status).toBe('repo_setup');

    const second = await runPreflight({ config, store, owner: 'run-2', reporter: quiet });
    expect(second.verdict.cached).toBe(true);
    expect(second.claimed).toEqual([]);
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(counter, 'utf8')).trim().split('\n')).toHaveLength(1); // tests ran once
    store.close();
  });

  it('fails loudly and claims nothing when the base does not build, or is dirty', async () => {
    const { config, store, repo } = await setup(['sh', '-c', 'echo compile error >&2; exit 3']);
    await expect(runPreflight({ config, store, owner: 'run-1', reporter: quiet })).rejects.toThrow(
      PreflightError,
    );
    await expect(runPreflight({ config, store, owner: 'run-1', reporter: quiet })).rejects.toThrow(
      /compile error/,
    );
    expect((await store.list()).map((r) => r.status)).toEqual(['pending', 'pending']);

    await writeFile(path.join(repo, 'a.txt'), 'changed\n');
    await expect(runPreflight({ config, store, owner: 'run-1', reporter: quiet })).rejects.toThrow(
      /uncommitted changes/,
    );
    store.close();
  });

  it('re-runs one requested panic even from needs_human_review, bypassing the skip gate', async () => {
    const { config, store } = await setup(['true']);
    await runPreflight({ config, store, owner: 'run-1', reporter: quiet });
    await store.fail({
      location: 'core/a.rs:1:1',
      owner: 'run-1',
      from: 'repo_setup',
      phase: 'reproducing',
      error: 'x',
    });
    const rerun = await runPreflight({
      config,
      store,
      owner: 'run-2',
      reporter: quiet,
      location: 'core/b.rs:2:2',
    });
    expect(rerun.claimed.map((c) => c.location)).toEqual(['core/b.rs:2:2']);
    const again = await runPreflight({
      config,
      store,
      owner: 'run-3',
      reporter: quiet,
      location: 'core/a.rs:1:1',
    });
    expect(again.claimed.map((c) => c.location)).toEqual(['core/a.rs:1:1']);
    store.close();
  });
});
