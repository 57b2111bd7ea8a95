/**
 * The agentfs binary cannot be installed here: these tests pin the exact spawn it gets and the
 * session housekeeping around it. The behavioural suite (backends.test.ts) runs against agentfs
 * wherever it is on PATH.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sandboxSchema } from '../config/schema.js';
import { AGENTFS_CD_SCRIPT, agentfsAllowedPaths, agentfsCommand, agentfsSessionDir } from './agentfs.js';
import { createSandbox, openSandbox } from './create.js';
import { loadSandboxHandle, saveSandboxHandle } from './handle.js';
import { git, makeBaseRepo } from './test-support.js';

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'panic-fix-agentfs-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const base = makeBaseRepo(path.join(tmp, 'base'));
const workDir = path.join(tmp, 'work');
const home = path.join(tmp, 'home');
const config = sandboxSchema.parse({ backend: 'agentfs', agentfsPath: '/opt/agentfs/bin/agentfs', workDir });
const quiet = { log: () => undefined };

describe('agentfs command construction only (the agentfs binary is not installed here; see the agentfs probe in backends.test.ts)', () => {
  const spec = {
    agentfsPath: 'agentfs',
    sessionId: 'panic-x-1',
    allowPaths: ['/h/.claude', '/tmp', '/w/panic-x-1/scratch'],
    baseDir: '/base',
    home: '/h',
  };

  test('runs argv through a fixed cd script in the session, with the CoW root (the base repo) as cwd', () => {
    const wrapped = agentfsCommand(spec, ['claude', '-p', "it's $(x)"], {
      subdir: 'core/src',
      env: { PATH: '/bin', HOME: '/h' },
    });
    expect(wrapped.argv).toEqual([
      'agentfs',
      'run',
      '--session',
      'panic-x-1',
      '--no-default-allows',
      '--allow',
      '/h/.claude',
      '--allow',
      '/tmp',
      '--allow',
      '/w/panic-x-1/scratch',
      '--',
      'bash',
      '-c',
      AGENTFS_CD_SCRIPT,
      'panic-fix-sandbox',
      './core/src',
      'claude',
      '-p',
      "it's $(x)",
    ]);
    expect(AGENTFS_CD_SCRIPT).toBe(
      'cd "$1" || { echo "panic-fix sandbox: no directory $1 in the sandbox" >&2; exit 125; }; shift; exec "$@"',
    );
    expect(wrapped.cwd).toBe('/base');
    expect(agentfsCommand(spec, ['true'], {}).argv.slice(-2)).toEqual(['.', 'true']);
  });

  test('drops the encryption key and cipher from the environment and pins HOME', () => {
    const env = { PATH: '/bin', AGENTFS_KEY: 'secret', AGENTFS_CIPHER: 'aes', KEEP: 'yes' };
    const wrapped = agentfsCommand(spec, ['true'], { env });
    expect(wrapped.env).toEqual({ PATH: '/bin', KEEP: 'yes', HOME: '/h' });
    expect(env.AGENTFS_KEY).toBe('secret'); // the caller's object is untouched
    expect(() => agentfsCommand(spec, ['true'], { env: { HOME: '/elsewhere' } })).toThrow(
      /created for HOME=\/h/,
    );
  });

  test('allows the tool dot-dirs, /tmp, the scratch dir and extras, once each', () => {
    expect(agentfsAllowedPaths('/h', '/w/s', ['/cargo-target', '/tmp'])).toEqual([
      '/h/.claude',
      '/h/.claude.json',
      '/h/.npm',
      '/h/.cache',
      '/h/.cargo',
      '/tmp',
      '/w/s',
      '/cargo-target',
    ]);
  });
});

describe('agentfs sandbox lifecycle (no binary needed until a command runs)', () => {
  test('create pre-creates allowed paths, clears a stale session; wrap targets the session; destroy removes it all', async () => {
    const id = 'panic-agentfs-1';
    const stale = agentfsSessionDir(home, id);
    mkdirSync(stale, { recursive: true });
    writeFileSync(path.join(stale, 'delta.db'), 'old delta');
    const cargoTarget = path.join(tmp, 'cargo-target');

    const sandbox = await createSandbox(config, {
      baseRepo: base.dir,
      baseSha: base.sha,
      id,
      home,
      allowPaths: [cargoTarget],
      ...quiet,
    });
    expect(sandbox.backend).toBe('agentfs');
    expect(sandbox.repoDir).toBe(base.dir);
    expect(sandbox.scratchDir).toBe(path.join(workDir, id, 'scratch'));
    expect(existsSync(stale)).toBe(false);
    for (const dir of ['.claude', '.npm', '.cache', '.cargo'])
      expect(existsSync(path.join(home, dir))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(home, '.claude.json'), 'utf8'))).toEqual({});
    expect(existsSync(cargoTarget)).toBe(true);
    expect(existsSync(sandbox.scratchDir)).toBe(true);

    const wrapped = sandbox.wrap(['cargo', 'test'], { env: { PATH: '/usr/bin' } });
    expect(wrapped.argv.slice(0, 5)).toEqual([
      '/opt/agentfs/bin/agentfs',
      'run',
      '--session',
      id,
      '--no-default-allows',
    ]);
    expect(wrapped.argv).toContain(sandbox.scratchDir);
    expect(wrapped.argv).toContain(cargoTarget);
    expect(wrapped.cwd).toBe(base.dir);
    expect(wrapped.env.HOME).toBe(home);

    // The binary is absent here: running reports it instead of pretending.
    const result = await sandbox.run(['true'], { env: { PATH: '/usr/bin:/bin' } });
    expect(result.spawnError).toMatch(/program not found/);

    mkdirSync(agentfsSessionDir(home, id), { recursive: true });
    await sandbox.destroy();
    expect(existsSync(agentfsSessionDir(home, id))).toBe(false);
    expect(existsSync(path.join(workDir, id))).toBe(false);
    await sandbox.destroy();
  });

  test('an existing ~/.claude.json is kept as is', async () => {
    const ownHome = path.join(tmp, 'home-with-config');
    mkdirSync(ownHome, { recursive: true });
    writeFileSync(path.join(ownHome, '.claude.json'), '{"theme":"dark"}');
    const sandbox = await createSandbox(config, {
      baseRepo: base.dir,
      baseSha: base.sha,
      id: 'panic-agentfs-2',
      home: ownHome,
      ...quiet,
    });
    expect(readFileSync(path.join(ownHome, '.claude.json'), 'utf8')).toBe('{"theme":"dark"}');
    await sandbox.destroy();
  });

  test('refuses allowed paths inside the base (writes there would bypass copy-on-write)', async () => {
    await expect(
      createSandbox(config, {
        baseRepo: base.dir,
        baseSha: base.sha,
        id: 'panic-agentfs-3',
        home,
        allowPaths: [path.join(base.dir, 'target')],
        ...quiet,
      }),
    ).rejects.toThrow(/inside the base repository would bypass copy-on-write/);
    expect(existsSync(path.join(base.dir, 'target'))).toBe(false);
  });

  test('needs the base checked out clean at the base commit, like overlay', async () => {
    const dirty = makeBaseRepo(path.join(tmp, 'dirty'));
    writeFileSync(path.join(dirty.dir, 'README.md'), 'edited\n');
    await expect(
      createSandbox(config, {
        baseRepo: dirty.dir,
        baseSha: dirty.sha,
        id: 'panic-agentfs-4',
        home,
        ...quiet,
      }),
    ).rejects.toThrow(/uncommitted changes/);
    git(dirty.dir, 'checkout', '-q', '--', 'README.md');
    git(dirty.dir, 'commit', '-q', '--allow-empty', '-m', 'later');
    await expect(
      createSandbox(config, {
        baseRepo: dirty.dir,
        baseSha: dirty.sha,
        id: 'panic-agentfs-4',
        home,
        ...quiet,
      }),
    ).rejects.toThrow(/is at [0-9a-f]{40}, not at the base commit/);
  });
});

describe('agentfs reattach (construction only: same session, same allows, same HOME)', () => {
  test('a handle reopens the same session; a configured agentfs path replaces the recorded one', async () => {
    const id = 'panic-agentfs-reopen';
    const cargoTarget = path.join(tmp, 'cargo-target-reopen');
    const sandbox = await createSandbox(config, {
      baseRepo: base.dir,
      baseSha: base.sha,
      id,
      home,
      allowPaths: [cargoTarget],
      ...quiet,
    });
    const file = path.join(tmp, 'agentfs-handle.json');
    const handle = await saveSandboxHandle(file, sandbox);
    expect(handle).toEqual({
      version: 1,
      id,
      backend: 'agentfs',
      baseRepo: base.dir,
      baseSha: base.sha,
      rootDir: path.join(workDir, id),
      repoDir: base.dir,
      scratchDir: path.join(workDir, id, 'scratch'),
      createdAt: sandbox.createdAt,
      agentfs: {
        agentfsPath: '/opt/agentfs/bin/agentfs',
        sessionId: id,
        home,
        allowPaths: agentfsAllowedPaths(home, path.join(workDir, id, 'scratch'), [cargoTarget]),
      },
    });
    const reopened = await openSandbox(await loadSandboxHandle(file));
    const env = { PATH: '/usr/bin' };
    expect(reopened.wrap(['git', 'status'], { env })).toEqual(sandbox.wrap(['git', 'status'], { env }));
    const elsewhere = await openSandbox(
      handle,
      sandboxSchema.parse({ backend: 'agentfs', agentfsPath: '/usr/local/bin/agentfs' }),
    );
    expect(elsewhere.wrap(['true'], { env }).argv.slice(0, 4)).toEqual([
      '/usr/local/bin/agentfs',
      'run',
      '--session',
      id,
    ]);
    await reopened.destroy();
    await expect(openSandbox(handle)).rejects.toThrow(/was the sandbox destroyed\?/);
  });
});

describe('agentfs export composition (a stand-in agentfs that records its argv and runs the command unsandboxed)', () => {
  test('export runs every git step through `agentfs run --session <id>` in the base dir, with the key dropped', async () => {
    // The stand-in is NOT agentfs: it provides no copy-on-write, so it gets a throw-away base of its own.
    const own = makeBaseRepo(path.join(tmp, 'standin-base'));
    const log = path.join(tmp, 'standin.log');
    const fake = path.join(tmp, 'standin-bin', 'agentfs');
    mkdirSync(path.dirname(fake), { recursive: true });
    writeFileSync(
      fake,
      '#!/bin/bash\n' +
        `{ printf '%s\\x1f' "$PWD" "\${AGENTFS_KEY-unset}" "$@"; printf '\\x1e'; } >> '${log}'\n` +
        'while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done; shift; exec "$@"\n',
    );
    chmodSync(fake, 0o755);
    const sandbox = await createSandbox(
      sandboxSchema.parse({ backend: 'agentfs', agentfsPath: fake, workDir }),
      {
        baseRepo: own.dir,
        baseSha: own.sha,
        id: 'panic-agentfs-standin',
        home,
        ...quiet,
      },
    );
    process.env.AGENTFS_KEY = 'secret-key';
    try {
      const edit = await sandbox.run(['sed', '-i', 's/42/46/', 'src/lib.rs'], {
        subdir: '.',
        env: { PATH: process.env.PATH },
      });
      expect(edit.exitCode, edit.tail).toBe(0);
      const exported = await sandbox.exportChanges(path.join(tmp, 'standin-out'));
      expect(exported.manifest).toMatchObject({
        backend: 'agentfs',
        filesChanged: 1,
        files: [{ status: 'M', path: 'src/lib.rs' }],
      });
    } finally {
      delete process.env.AGENTFS_KEY;
    }
    // Records end in \x1e: the export script's text spans lines.
    const calls = readFileSync(log, 'utf8')
      .split('\x1e')
      .slice(0, -1)
      .map((line) => line.split('\x1f').slice(0, -1));
    expect(calls).toHaveLength(2); // the edit, then the whole export (index copy, add, diffs) in one
    for (const [cwd, key, ...argv] of calls) {
      expect(cwd).toBe(own.dir);
      expect(key).toBe('unset');
      expect(argv.slice(0, 4)).toEqual(['run', '--session', 'panic-agentfs-standin', '--no-default-allows']);
      expect(argv).toContain(sandbox.scratchDir);
    }
    await sandbox.destroy();
  });
});
