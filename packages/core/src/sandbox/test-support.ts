/** Test-only helpers for the sandbox suites: real git repositories in temp dirs, tree hashing. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

export const GIT_TEST_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: GIT_TEST_ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Bytes 0..255 twice: NULs and invalid UTF-8, so only a binary patch can carry it. */
export const BINARY_BYTES = Buffer.from([...Array(512).keys()].map((i) => i % 256));

/** A small repository with text, binary, executable and oddly named files; returns its dir and HEAD. */
export function makeBaseRepo(dir: string): { dir: string; sha: string } {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  const files: Record<string, string | Buffer> = {
    'README.md': '# base\n',
    'src/lib.rs': 'pub fn answer() -> u32 {\n    42\n}\n',
    'src/old.rs': '// to be deleted\n',
    'docs/a.md': 'a document that will be renamed\n',
    'assets/logo.bin': BINARY_BYTES,
    'scripts/run.sh': '#!/bin/sh\necho run\n',
    'dir with space/file.txt': 'spaced\n',
  };
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  chmodSync(path.join(dir, 'scripts/run.sh'), 0o755);
  writeFileSync(path.join(dir, '.gitignore'), 'ignored/\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  return { dir, sha: git(dir, 'rev-parse', 'HEAD').trim() };
}

/** Hash of a directory tree: names, types, modes, contents and link targets. */
export function hashTree(root: string, opts: { skip?: readonly string[] } = {}): string {
  const hash = createHash('sha256');
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    const info = lstatSync(abs);
    hash.update(`${rel}\0${info.mode}\0`);
    if (info.isSymbolicLink()) hash.update(readlinkSync(abs));
    else if (info.isFile()) hash.update(readFileSync(abs));
    else if (info.isDirectory()) {
      for (const name of readdirSync(abs).sort()) {
        const child = rel ? `${rel}/${name}` : name;
        if (!opts.skip?.includes(child)) walk(child);
      }
    }
  };
  walk('');
  return hash.digest('hex');
}

/** True once the process is gone or a zombie. */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
