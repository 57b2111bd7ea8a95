/**
 * One behavioural suite, run for real against every backend this machine can run. Which backends
 * those are is itself asserted (first test), so a missing backend is stated, never silently skipped.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sandboxSchema } from '../config/schema.js';
import { createSandbox, openSandbox } from './create.js';
import { probeBackends } from './detect.js';
import { EXPORT_PATHSPEC, changedPaths } from './export-changes.js';
import { loadSandboxHandle, saveSandboxHandle } from './handle.js';
import { loadExportedChanges } from './manifest.js';
import { listMountPoints } from './mounts.js';
import { BINARY_BYTES, git, hashTree, makeBaseRepo, processGone, waitFor } from './test-support.js';
import type { Sandbox, SandboxBackendName } from './types.js';

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'panic-fix-sbx-')));
const workDir = path.join(tmp, 'work');
const reposDir = path.join(tmp, 'repos');
mkdirSync(workDir);
mkdirSync(reposDir);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const probes = await probeBackends(sandboxSchema.parse({}), { workDir });
const available = probes.filter((p) => p.available).map((p) => p.backend);

function agentfsOnPath(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, 'agentfs')));
}

test('states which backends run here and why (the suite below runs for exactly these)', () => {
  console.info(
    `sandbox backends: ${probes.map((p) => `${p.backend}=${p.available ? 'yes' : 'no'} (${p.detail})`).join('; ')}`,
  );
  expect(probes.map((p) => p.backend)).toEqual(['agentfs', 'overlay', 'worktree']);
  for (const probe of probes) expect(probe.detail.length).toBeGreaterThan(0);
  // The project's machines run kernel overlayfs in a user namespace, and git always.
  expect(available).toContain('overlay');
  expect(available).toContain('worktree');
  const agentfs = probes.find((p) => p.backend === 'agentfs')!;
  if (!agentfsOnPath())
    expect(agentfs).toMatchObject({ available: false, detail: 'agentfs not found on PATH' });
});

let counter = 0;
const uniqueId = (backend: string) => `${backend}-t${++counter}-${process.pid}`;

async function run(sandbox: Sandbox, argv: string[], subdir?: string): Promise<string> {
  const result = await sandbox.run(argv, { timeoutMs: 60_000, ...(subdir ? { subdir } : {}) });
  expect(result.exitCode, `${argv.join(' ')}: ${result.tail}`).toBe(0);
  return result.stdoutTail;
}

function mountsUnder(dir: string): Promise<string[]> {
  return listMountPoints().then((points) => points.filter((p) => p === dir || p.startsWith(`${dir}/`)));
}

describe.each(available)('%s backend', (backend: SandboxBackendName) => {
  const config = sandboxSchema.parse({ backend, workDir });
  const base = makeBaseRepo(path.join(reposDir, `base-${backend}`));
  const quiet = { log: () => undefined };
  const create = (id = uniqueId(backend)) =>
    createSandbox(config, { baseRepo: base.dir, baseSha: base.sha, id, ...quiet });
  // Copy-on-write backends must not touch the base at all (.git included); the worktree fallback
  // shares the object store and worktree list, so only its working tree, HEAD and status are checked.
  const baseState = () => ({
    tree: hashTree(base.dir, backend === 'worktree' ? { skip: ['.git'] } : {}),
    status: git(base.dir, 'status', '--porcelain=v1', '--untracked-files=all'),
    head: git(base.dir, 'rev-parse', 'HEAD'),
    refs: git(base.dir, 'for-each-ref', '--format=%(refname) %(objectname)'),
    worktrees: git(base.dir, 'worktree', 'list', '--porcelain'),
  });
  const pristine = baseState();

  test('edits, deletions, renames, binaries and new files reach a patch that rebuilds the same tree on a fresh clone', async () => {
    const sandbox = await create();
    expect(sandbox.backend).toBe(backend);
    expect(sandbox.isolated).toBe(backend !== 'worktree');
    const newBinary = Buffer.concat([BINARY_BYTES, Buffer.from([0, 0, 255, 1])]);
    const changedBinary = Buffer.from(BINARY_BYTES).reverse();
    writeFileSync(path.join(sandbox.scratchDir, 'new.bin'), newBinary);
    writeFileSync(path.join(sandbox.scratchDir, 'changed.bin'), changedBinary);
    writeFileSync(path.join(sandbox.scratchDir, 'note.txt'), 'a brand new note\n');

    await run(sandbox, ['rm', 'src/old.rs']);
    await run(sandbox, ['mv', 'docs/a.md', 'docs/b.md']);
    await run(sandbox, ['cp', path.join(sandbox.scratchDir, 'new.bin'), 'assets/new.bin']);
    await run(sandbox, ['cp', path.join(sandbox.scratchDir, 'changed.bin'), 'assets/logo.bin']);
    await run(sandbox, ['mkdir', '-p', 'notes/ünïcode dir']);
    await run(sandbox, ['cp', path.join(sandbox.scratchDir, 'note.txt'), 'notes/ünïcode dir/new file.txt']);
    await run(sandbox, ['chmod', '-x', 'scripts/run.sh']);
    await run(sandbox, ['ln', '-s', '../src/lib.rs', 'scripts/lib-link']);
    await run(sandbox, ['sed', '-i', 's/42/43/', 'src/lib.rs']);
    await run(sandbox, ['cp', path.join(sandbox.scratchDir, 'note.txt'), 'ignored-by-nothing.txt'], 'src');
    // Pipeline scratch that must never ship, even though nothing ignores it here.
    await run(sandbox, ['mkdir', '-p', '.bugbase', 'target/debug', 'simulator-output']);
    await run(sandbox, [
      'touch',
      '.bugbase/db',
      'simulator.log',
      'target/debug/build.o',
      'simulator-output/run.txt',
    ]);

    // A later command sees what earlier ones wrote; the base does not.
    expect(await run(sandbox, ['cat', 'notes/ünïcode dir/new file.txt'])).toBe('a brand new note\n');
    expect(existsSync(path.join(base.dir, 'notes'))).toBe(false);
    expect(existsSync(path.join(base.dir, 'src/old.rs'))).toBe(true);

    const outDir = path.join(tmp, `out-${sandbox.id}`);
    const statusBefore = await run(sandbox, ['git', 'status', '--porcelain=v1']);
    const exported = await sandbox.exportChanges(outDir);
    // Exporting stages into a private index: the agent's own `git status` is unchanged.
    expect(await run(sandbox, ['git', 'status', '--porcelain=v1'])).toBe(statusBefore);
    expect(statusBefore).toContain(' D src/old.rs');
    expect(exported.patchFile).toBe(path.join(outDir, 'changes.patch'));
    const byPath = Object.fromEntries(exported.manifest.files.map((f) => [f.path, f.status]));
    expect(byPath).toEqual({
      'assets/logo.bin': 'M',
      'assets/new.bin': 'A',
      'docs/a.md': 'D',
      'docs/b.md': 'A',
      'notes/ünïcode dir/new file.txt': 'A',
      'scripts/lib-link': 'A',
      'scripts/run.sh': 'M',
      'src/ignored-by-nothing.txt': 'A',
      'src/lib.rs': 'M',
      'src/old.rs': 'D',
    });
    expect(exported.manifest).toMatchObject({
      backend,
      baseSha: base.sha,
      sandboxId: sandbox.id,
      filesChanged: 10,
    });
    expect((await loadExportedChanges(outDir)).manifest).toEqual(exported.manifest);
    const patch = readFileSync(exported.patchFile, 'utf8');
    expect(patch).toContain('GIT binary patch');
    for (const excluded of ['.bugbase', 'simulator.log', 'target/debug', 'simulator-output'])
      expect(patch).not.toContain(excluded);

    await run(sandbox, ['git', 'add', '--all', '--', ...EXPORT_PATHSPEC]);
    const sandboxTree = (await run(sandbox, ['git', 'write-tree'])).trim();
    const clone = path.join(tmp, `clone-${sandbox.id}`);
    git(tmp, 'clone', '-q', '--no-checkout', base.dir, clone);
    git(clone, 'checkout', '-q', '--detach', base.sha);
    git(clone, 'apply', '--index', exported.patchFile);
    git(clone, 'commit', '-q', '-m', 'apply sandbox patch');
    expect(git(clone, 'rev-parse', 'HEAD^{tree}').trim()).toBe(sandboxTree);
    expect(readFileSync(path.join(clone, 'assets/new.bin'))).toEqual(newBinary);
    expect(readFileSync(path.join(clone, 'assets/logo.bin'))).toEqual(changedBinary);
    expect(readlinkSync(path.join(clone, 'scripts/lib-link'))).toBe('../src/lib.rs');
    expect(statSync(path.join(clone, 'scripts/run.sh')).mode & 0o111).toBe(0);

    await sandbox.destroy();
    expect(baseState()).toEqual(pristine);
  });

  test('two sandboxes over the same base do not see each other', async () => {
    const [a, b] = [await create(), await create()];
    await run(a, ['touch', 'only-in-a.txt']);
    await run(a, ['sed', '-i', 's/base/changed in a/', 'README.md']);
    await run(b, ['rm', 'README.md']);
    expect((await b.run(['test', '-e', 'only-in-a.txt'])).exitCode).toBe(1);
    expect(await run(a, ['cat', 'README.md'])).toBe('# changed in a\n');
    const exportedB = await b.exportChanges(path.join(tmp, `out-${b.id}`));
    expect(exportedB.manifest.files).toEqual([{ status: 'D', path: 'README.md' }]);
    const exportedA = await a.exportChanges(path.join(tmp, `out-${a.id}`));
    expect(exportedA.manifest.files).toEqual([
      { status: 'M', path: 'README.md' },
      { status: 'A', path: 'only-in-a.txt' },
    ]);
    await a.destroy();
    await b.destroy();
    expect(baseState()).toEqual(pristine);
  });

  test('an unchanged sandbox exports an empty patch', async () => {
    const sandbox = await create();
    const exported = await sandbox.exportChanges(path.join(tmp, `out-${sandbox.id}`));
    expect(exported.manifest).toMatchObject({ patchBytes: 0, filesChanged: 0, files: [] });
    await sandbox.destroy();
  });

  test('exit codes propagate and a timeout kills the whole process group inside the sandbox', async () => {
    const sandbox = await create();
    expect((await sandbox.run(['sh', '-c', 'exit 7'])).exitCode).toBe(7);
    expect((await sandbox.run(['false'])).exitCode).toBe(1);
    const pidFile = path.join(sandbox.scratchDir, 'background.pid');
    const result = await sandbox.run(['sh', '-c', 'sleep 60 & echo $! > "$1"; wait', 'sh', pidFile], {
      timeoutMs: 3_000,
      killGraceMs: 500,
    });
    expect(result.timedOut).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(1);
    expect(await waitFor(() => processGone(pid), 15_000)).toBe(true);
    await sandbox.destroy();
  });

  test('argv and subdirs reach the program verbatim, with no shell interpretation', async () => {
    const sandbox = await create();
    const marker = path.join(sandbox.scratchDir, 'pwned');
    const data = `it's "quoted" $(touch ${marker}) \`touch ${marker}\` ; | & * ~ \\ $HOME\nsecond line ünï`;
    expect(await run(sandbox, ['printf', '%s', data])).toBe(data);
    const fileName = `arg $(touch ${marker.replace(/\//g, '_')}) 'q' "d".txt`;
    await run(sandbox, ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', data, fileName]);
    expect(await run(sandbox, ['cat', fileName])).toBe(data);
    expect(existsSync(marker)).toBe(false);
    const exported = await sandbox.exportChanges(path.join(tmp, `out-${sandbox.id}`));
    expect(exported.manifest.files).toEqual([{ status: 'A', path: fileName }]);

    expect(await run(sandbox, ['pwd'], 'dir with space')).toBe(`${sandbox.repoDir}/dir with space\n`);
    expect(await run(sandbox, ['cat', 'file.txt'], './dir with space/')).toBe('spaced\n');
    await expect(sandbox.run(['pwd'], { subdir: '../..' })).rejects.toThrow(/escapes the repository/);
    await expect(sandbox.run(['-rf'])).rejects.toThrow(/must not start with '-'/);
    const missing = await sandbox.run(['pwd'], { subdir: 'no-such-dir' });
    expect(missing.exitCode).not.toBe(0);
    await sandbox.destroy();
  });

  test('destroy removes every dir and mount, twice over; a crashed sandbox with the same id is cleaned at create', async () => {
    const id = uniqueId(backend);
    const root = path.join(workDir, id);
    const crashed = await create(id);
    await run(crashed, ['touch', 'left-over.txt']);
    expect(await mountsUnder(root)).toEqual([]);
    // No destroy: a new sandbox with the same id must start clean.
    const fresh = await create(id);
    expect((await fresh.run(['test', '-e', 'left-over.txt'])).exitCode).toBe(1);
    expect(existsSync(fresh.scratchDir)).toBe(true);

    await fresh.destroy();
    expect(existsSync(root)).toBe(false);
    expect(await mountsUnder(root)).toEqual([]);
    expect(git(base.dir, 'worktree', 'list', '--porcelain')).not.toContain(root);
    await fresh.destroy();
    await expect(fresh.run(['true'])).rejects.toThrow(/destroyed/);
    expect(baseState()).toEqual(pristine);
  });

  test('creation copies nothing from the base tree', async () => {
    const sandbox = await create();
    if (backend === 'overlay') {
      // Every write lands in upper/: right after creation it is empty, whatever the size of the base.
      const upper = path.join(sandbox.rootDir, 'upper');
      expect(readdirSync(upper)).toEqual([]);
      await run(sandbox, ['cat', 'README.md']);
      expect(readdirSync(upper)).toEqual([]);
    } else if (backend === 'agentfs') {
      expect(readdirSync(sandbox.rootDir)).toEqual(['scratch']);
    } else {
      // The fallback is a full checkout by nature (logged as such); stated here so the difference is visible.
      expect(existsSync(path.join(sandbox.repoDir, 'src/lib.rs'))).toBe(true);
    }
    await sandbox.destroy();
  });

  test('commands get exactly the env they are given (plus git trust inside a user namespace), nothing of ours leaks', async () => {
    const sandbox = await create();
    process.env.PANIC_FIX_TEST_SECRET = 'must-not-leak';
    try {
      const env = { PATH: process.env.PATH, ONLY_THIS: 'yes', HOME: process.env.HOME };
      const result = await sandbox.run(['env'], { env, timeoutMs: 60_000 });
      expect(result.exitCode, result.tail).toBe(0);
      const lines = result.stdoutTail.split('\n');
      expect(lines).toContain('ONLY_THIS=yes');
      expect(result.stdoutTail).not.toContain('PANIC_FIX_TEST_SECRET');
      const names = lines.filter(Boolean).map((l) => l.slice(0, l.indexOf('=')));
      const allowedExtra =
        /^(GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+)|AGENTFS(_SANDBOX|_SESSION)?|GIT_SSH_COMMAND|PWD|SHLVL|OLDPWD|_)$/;
      expect(names.filter((n) => !(n in env) && !allowedExtra.test(n))).toEqual([]);
    } finally {
      delete process.env.PANIC_FIX_TEST_SECRET;
    }
    await sandbox.destroy();
  });

  test('git status and git diff work inside with a minimal env (no dubious-ownership refusal)', async () => {
    const sandbox = await create();
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    await sandbox.run(['sed', '-i', 's/42/44/', 'src/lib.rs'], { env });
    const status = await sandbox.run(['git', 'status', '--porcelain=v1'], { env, timeoutMs: 60_000 });
    expect(status.exitCode, status.tail).toBe(0);
    expect(status.stdoutTail).toBe(' M src/lib.rs\n');
    const diff = await sandbox.run(['git', 'diff'], { env, timeoutMs: 60_000 });
    expect(diff.exitCode, diff.tail).toBe(0);
    expect(diff.stdoutTail).toContain('+    44');
    await sandbox.destroy();
    expect(baseState()).toEqual(pristine);
  });

  test('reattaching from a saved handle (another process) sees earlier writes; export and destroy work from it', async () => {
    const first = await create();
    await run(first, ['sed', '-i', 's/42/45/', 'src/lib.rs']);
    await run(first, ['mkdir', '-p', 'simulator/new']);
    await run(first, ['touch', 'simulator/new/case.rs', 'simulator.log']);
    const handleFile = path.join(tmp, `handle-${first.id}.json`);
    const saved = await saveSandboxHandle(handleFile, first);
    expect(saved).toMatchObject({
      version: 1,
      id: first.id,
      backend,
      baseRepo: base.dir,
      baseSha: base.sha,
      rootDir: first.rootDir,
    });
    expect(saved.repoDir).toBe(first.repoDir);
    expect(saved.scratchDir).toBe(first.scratchDir);

    const reopened = await openSandbox(await loadSandboxHandle(handleFile), config);
    expect(reopened.handle()).toEqual(saved);
    expect(await run(reopened, ['grep', '-c', '45', 'src/lib.rs'])).toBe('1\n');
    await run(reopened, ['touch', 'simulator/new/second.rs']);
    expect(await changedPaths(reopened)).toEqual([
      'simulator/new/case.rs',
      'simulator/new/second.rs',
      'src/lib.rs',
    ]);
    const exported = await reopened.exportChanges(path.join(tmp, `out-reopened-${reopened.id}`));
    expect(exported.manifest.createdAt).toBe(first.createdAt);
    expect(Date.parse(exported.manifest.exportedAt)).toBeGreaterThanOrEqual(Date.parse(first.createdAt));
    const clone = path.join(tmp, `clone-reopened-${reopened.id}`);
    git(tmp, 'clone', '-q', base.dir, clone);
    git(clone, 'checkout', '-q', '--detach', base.sha);
    git(clone, 'apply', '--check', exported.patchFile);

    await expect(
      openSandbox(saved, sandboxSchema.parse({ backend: backend === 'worktree' ? 'overlay' : 'worktree' })),
    ).rejects.toThrow(/was created with the/);
    await expect(openSandbox({ ...saved, baseSha: 'abc' })).rejects.toThrow(
      /invalid sandbox handle: baseSha/,
    );
    await reopened.destroy();
    expect(existsSync(first.rootDir)).toBe(false);
    expect(await mountsUnder(first.rootDir)).toEqual([]);
    await expect(openSandbox(saved)).rejects.toThrow(/was the sandbox destroyed\?|is not a worktree/);
    expect(baseState()).toEqual(pristine);
  });
});

describe.each(available)('stat cache in a %s sandbox', (backend: SandboxBackendName) => {
  test('a same-size edit with an mtime in the same second as the indexed one still reaches the patch', async () => {
    // With core.checkStat=minimal git compares whole-second mtimes and sizes only, and misses this edit.
    const dir = path.join(reposDir, `stat-${backend}`);
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    writeFileSync(path.join(dir, 'value.txt'), 'value 1\n');
    execFileSync('touch', ['-d', '2020-01-01 00:00:00.100000000', path.join(dir, 'value.txt')]);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'base');
    const sha = git(dir, 'rev-parse', 'HEAD').trim();
    const config = sandboxSchema.parse({ backend, workDir });
    const sandbox = await createSandbox(config, {
      baseRepo: dir,
      baseSha: sha,
      id: uniqueId(`stat-${backend}`),
      log: () => undefined,
    });
    await run(sandbox, ['sed', '-i', 's/1/2/', 'value.txt']);
    await run(sandbox, ['touch', '-d', '2020-01-01 00:00:00.700000000', 'value.txt']);
    expect(await changedPaths(sandbox)).toEqual(['value.txt']);
    await sandbox.destroy();
  });
});

/** A zero-dependency cargo package, built once in the base so its target/ exists (ignored, as in Turso). */
function makeCargoBase(dir: string): { dir: string; sha: string } {
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(
    path.join(dir, 'Cargo.toml'),
    '[package]\nname = "sbx_probe"\nversion = "0.1.0"\nedition = "2021"\n',
  );
  writeFileSync(path.join(dir, 'src/main.rs'), 'fn main() {\n    println!("base");\n}\n');
  writeFileSync(path.join(dir, '.gitignore'), '/target\n');
  execFileSync('cargo', ['generate-lockfile', '--offline'], { cwd: dir, stdio: 'ignore' });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'cargo base');
  execFileSync('cargo', ['build', '--offline', '--quiet'], { cwd: dir, stdio: 'ignore' });
  return { dir, sha: git(dir, 'rev-parse', 'HEAD').trim() };
}

describe.each(available)('cargo build in a %s sandbox', (backend: SandboxBackendName) => {
  test("writes the sandbox's own target/ (copied up), leaves the base's target/ alone, and target/ never reaches the patch", async () => {
    const base = makeCargoBase(path.join(reposDir, `cargo-${backend}`));
    const baseTarget = hashTree(path.join(base.dir, 'target'));
    const config = sandboxSchema.parse({ backend, workDir });
    const sandbox = await createSandbox(config, {
      baseRepo: base.dir,
      baseSha: base.sha,
      id: uniqueId(`cargo-${backend}`),
      log: () => undefined,
    });
    const env = { ...process.env };
    await run(sandbox, ['sed', '-i', 's/"base"/"sandbox"/', 'src/main.rs']);
    const build = await sandbox.run(['cargo', 'build', '--offline'], { env, timeoutMs: 300_000 });
    expect(build.exitCode, build.tail).toBe(0);
    expect(await run(sandbox, ['./target/debug/sbx_probe'])).toBe('sandbox\n');
    if (backend === 'overlay')
      expect(existsSync(path.join(sandbox.rootDir, 'upper/target/debug/sbx_probe'))).toBe(true);
    expect(hashTree(path.join(base.dir, 'target'))).toBe(baseTarget);
    expect(execFileSync(path.join(base.dir, 'target/debug/sbx_probe'), { encoding: 'utf8' })).toBe('base\n');
    expect(await changedPaths(sandbox)).toEqual(['src/main.rs']);
    await sandbox.destroy();
    expect(git(base.dir, 'status', '--porcelain=v1')).toBe('');
  });
});
