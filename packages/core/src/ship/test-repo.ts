import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from '../util/git.js';

/** Test support: a working repo with a bare `origin`, both in a fresh temp dir. */
export interface TestRepo {
  root: string;
  work: string;
  origin: string;
  base: string;
}

export const LINES = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);

export async function makeTestRepo(): Promise<TestRepo> {
  const root = await mkdtemp(join(tmpdir(), 'panic-fix-ship-'));
  const work = join(root, 'work');
  const origin = join(root, 'origin.git');
  await git(root, ['init', '-q', '-b', 'main', work]);
  await git(work, ['config', 'user.name', 'Test']);
  await git(work, ['config', 'user.email', 'test@example.com']);
  await writeFile(join(work, 'a.rs'), LINES.join('\n') + '\n');
  await writeFile(join(work, 'data.bin'), Buffer.from([0, 1, 2, 3, 255, 0, 10]));
  await git(work, ['add', '-A']);
  await git(work, ['commit', '-q', '-m', 'base']);
  await git(root, ['clone', '-q', '--bare', work, origin]);
  await git(work, ['remote', 'add', 'origin', origin]);
  await git(work, ['fetch', '-q', 'origin']);
  const base = await git(work, ['rev-parse', 'HEAD']);
  return { root, work, origin, base };
}

/** Writes files, makes a binary-capable patch against HEAD, and restores the tree. */
export async function makePatch(repo: TestRepo, files: Record<string, string | Buffer>): Promise<string> {
  for (const [name, content] of Object.entries(files)) await writeFile(join(repo.work, name), content);
  await git(repo.work, ['add', '-A']);
  const patch = await git(repo.work, ['diff', '--cached', '--binary', 'HEAD']);
  await git(repo.work, ['reset', '-q', '--hard', 'HEAD']);
  await git(repo.work, ['clean', '-fdq']);
  const file = join(repo.root, `patch-${Math.random().toString(36).slice(2)}.diff`);
  await writeFile(file, patch + '\n');
  return file;
}

/** Commits a change on main (as if upstream moved on). */
export async function moveMain(repo: TestRepo, files: Record<string, string>): Promise<string> {
  await git(repo.work, ['checkout', '-q', 'main']);
  for (const [name, content] of Object.entries(files)) await writeFile(join(repo.work, name), content);
  await git(repo.work, ['commit', '-q', '-am', 'upstream change']);
  return git(repo.work, ['rev-parse', 'HEAD']);
}

export function withLine(n: number, text: string, lines = LINES): string {
  const copy = [...lines];
  copy[n - 1] = text;
  return copy.join('\n') + '\n';
}

/** pushBranch's tip check for tests that are not about it: any existing tip may be replaced. */
export const anyTip = async (): Promise<void> => undefined;
