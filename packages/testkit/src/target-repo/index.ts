import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const EXAMPLE_TARGET = path.join(REPO_ROOT, 'examples', 'target');
export const TARGET_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'target');

/** Build products and run litter never enter a materialised target. */
const EXCLUDED = new Set(['target', '.bugbase', 'simulator-output', 'simulator.log', '.git']);

const plantedPanicSchema = z.object({
  id: z.string(),
  kind: z.enum(['assert', 'unwrap', 'index', 'overflow', 'unimplemented']),
  panic_location: z.string(),
  panic_message: z.string(),
  sql_statements: z.string(),
  expected_output: z.string().optional(),
  reference: z
    .object({
      seed: z.union([z.number(), z.string()]),
      simulator_patch: z.string(),
      fix_patch: z.string(),
      simulator_edits: z.string(),
      fix_edits: z.string(),
    })
    .optional(),
});
export type PlantedPanic = z.infer<typeof plantedPanicSchema>;

export async function plantedPanics(): Promise<PlantedPanic[]> {
  const text = await readFile(path.join(TARGET_FIXTURES, 'panics.json'), 'utf8');
  return z.array(plantedPanicSchema).parse(JSON.parse(text));
}

export function fixturePath(relative: string): string {
  return path.join(TARGET_FIXTURES, relative);
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'panic-fix tests',
      GIT_AUTHOR_EMAIL: 'tests@panic-fix.invalid',
      GIT_COMMITTER_NAME: 'panic-fix tests',
      GIT_COMMITTER_EMAIL: 'tests@panic-fix.invalid',
    },
  }).trim();
}

export interface MaterialisedTarget {
  /** A clean clone of the target at `baseSha` (the pipeline's base repository). */
  repo: string;
  /** A local bare repository acting as `origin` (what ship pushes to). */
  origin: string;
  baseSha: string;
}

/**
 * Copies the example target into a fresh git repository with a bare `origin`, as a Turso checkout
 * would be on a runner. It builds into its own `target/` (see below).
 */
export async function materialiseTarget(
  opts: { dir?: string; source?: string } = {},
): Promise<MaterialisedTarget> {
  const dir = opts.dir ?? (await mkdtemp(path.join(tmpdir(), 'target-')));
  const origin = path.join(dir, 'origin.git');
  const work = path.join(dir, 'seed');
  await mkdir(work, { recursive: true });
  const source = opts.source ?? EXAMPLE_TARGET;
  await cp(source, work, {
    recursive: true,
    // The filter also sees the root itself (named `target`), so judge paths relative to it.
    filter: (src) => {
      const rel = path.relative(source, src);
      return rel === '' || !EXCLUDED.has(path.basename(rel));
    },
  });
  git(work, ['init', '-q', '-b', 'main']);
  git(work, ['add', '-A']);
  git(work, ['commit', '-q', '-m', 'example target']);
  git(dir, ['init', '-q', '--bare', '-b', 'main', origin]);
  git(work, ['push', '-q', origin, 'main']);
  const repo = path.join(dir, 'repo');
  git(dir, ['clone', '-q', origin, repo]);
  return { repo, origin, baseSha: git(repo, ['rev-parse', 'HEAD']) };
}

/*
 * Build output: every materialised copy builds into its own `target/` (a clean build of the example takes
 * seconds). Do not share one CARGO_TARGET_DIR between copies: cargo decides freshness by mtimes and the
 * metadata hash of workspace members does not depend on their path, so a shared directory can silently
 * run the binary built from another copy.
 */

export function gitIn(cwd: string, args: string[]): string {
  return git(cwd, args);
}

/** One input of Claude Code's Edit tool, `file_path` relative to the target repository. */
const editSchema = z.object({
  file_path: z.string().min(1),
  old_string: z.string().min(1),
  new_string: z.string(),
});
export type TargetEdit = z.infer<typeof editSchema>;

export async function readEdits(fixture: string): Promise<TargetEdit[]> {
  return z.array(editSchema).parse(JSON.parse(await readFile(fixturePath(fixture), 'utf8')));
}

/** Applies edits the way the Edit tool does: each `old_string` must occur exactly once. */
export async function applyEdits(repo: string, edits: readonly TargetEdit[]): Promise<void> {
  for (const edit of edits) {
    const file = path.join(repo, edit.file_path);
    const text = await readFile(file, 'utf8');
    const count = text.split(edit.old_string).length - 1;
    if (count !== 1) throw new Error(`${edit.file_path}: old_string occurs ${count} times, expected once`);
    await writeFile(
      file,
      text.replace(edit.old_string, () => edit.new_string),
    );
  }
}

/** `git apply` of a fixture patch (relative to test/fixtures/target) inside `repo`. */
export function applyFixturePatch(repo: string, fixture: string): void {
  git(repo, ['apply', '--whitespace=nowarn', fixturePath(fixture)]);
}

/** Quotes text for a Tcl braced word (the fixtures contain no braces or backslashes). */
function tclBraces(text: string): string {
  if (/[{}\\]/.test(text)) throw new Error(`cannot brace-quote ${JSON.stringify(text)}`);
  return `{${text}}`;
}

/** A TCL regression test file for the example target: one `{:memory:}` test named `name`. */
export function memoryTclTest(name: string, sql: string, expected: string): string {
  return [
    '#!/usr/bin/env tclsh',
    'set testdir [file dirname $argv0]',
    'source $testdir/tester.tcl',
    '',
    `do_execsql_test_on_specific_db {:memory:} ${name} ${tclBraces(sql)} ${tclBraces(expected)}`,
    '',
  ].join('\n');
}
