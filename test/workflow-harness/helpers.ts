import { cp, mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'workflow-harness',
);

/** A scratch copy of the fixture repository, so steps may write into the workspace. */
export async function fixtureRepo(): Promise<{ repoRoot: string; workDir: string }> {
  const base = await mkdtemp(path.join(tmpdir(), 'wf-harness-test-'));
  const repoRoot = path.join(base, 'repo');
  await cp(FIXTURES, repoRoot, { recursive: true });
  const workDir = path.join(base, 'work');
  await mkdir(workDir);
  return { repoRoot, workDir };
}

/** A fixture repo plus one extra workflow written from a string. */
export async function repoWithWorkflow(
  yaml: string,
): Promise<{ repoRoot: string; workDir: string; file: string }> {
  const repo = await fixtureRepo();
  const file = 'workflows/inline.yml';
  await writeFile(path.join(repo.repoRoot, file), yaml);
  return { ...repo, file };
}
