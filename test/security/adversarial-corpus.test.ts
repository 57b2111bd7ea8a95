// The adversarial corpus (test/fixtures/adversarial/corpus.json) through every place panic data goes:
// enqueue (library and CLI) → names → repo_setup (regression test file run by a real tclsh, writes into a
// real sandbox) → prompts → PR body → commit message (committed and read back). Nothing may execute
// (marker files), nothing may land outside the sandbox, every artifact must stay valid and literal.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../packages/testkit/src/cli/captured.js';
import { targetSchema } from '../../packages/core/src/config/schema.js';
import { panicNames } from '../../packages/core/src/naming.js';
import { writeFilesIntoSandbox } from '../../packages/core/src/pipeline/sandbox-io.js';
import {
  fenced,
  loadPromptTemplate,
  panicPromptVars,
  promptPlaceholders,
  renderPrompt,
} from '../../packages/core/src/prompts/index.js';
import { RegressionFileError, regressionTestFile } from '../../packages/core/src/regression-test/index.js';
import { createSandbox } from '../../packages/core/src/sandbox/create.js';
import type { Sandbox } from '../../packages/core/src/sandbox/types.js';
import { commitMessage, commitSquashed, prBody, prTitle } from '../../packages/core/src/ship/index.js';
import { cleanText } from '../../packages/core/src/ship/text.js';
import { PanicStore } from '../../packages/core/src/store/panic-store.js';
import { expectedRefusal, loadCorpus, REPO_ROOT, utf8RoundTrip, type Field } from './corpus.js';
import { fencedBlocks, longestRun, unescapeLiteral } from './markdown-check.js';

const { markerPrefix, entries } = loadCorpus();
const TARGET = targetSchema.parse({});
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'adversarial-'));
  removeMarkers();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Files a payload would create if anything executed it. */
function markers(): string[] {
  const parent = path.dirname(markerPrefix);
  const base = path.basename(markerPrefix);
  return readdirSync(parent)
    .filter((name) => name.startsWith(base))
    .map((name) => path.join(parent, name));
}
function removeMarkers(): void {
  for (const file of markers()) execFileSync('rm', ['-rf', '--', file]);
}

/** A location for an entry used as message/SQL (unique, valid). */
const plainLocation = (id: string, field: Field) => `core/corpus/${id}-${field}.rs:1:1`;

/** Every corpus value valid as a location, with its id. */
function acceptedLocations(): { id: string; location: string }[] {
  return entries
    .filter((e) => e.fields.includes('location') && !expectedRefusal('location', e.value))
    .map((e) => ({ id: e.id, location: e.value.trim() }));
}

/** Every (id, value) enqueue accepts as SQL: what reaches repo_setup and the prompts. */
function acceptedSql(): { id: string; sql: string }[] {
  return entries
    .filter((e) => e.fields.includes('sql') && !expectedRefusal('sql', e.value))
    .map((e) => ({ id: e.id, sql: utf8RoundTrip(e.value) }));
}

const figures = { enqueueCases: 0, refused: 0, cliCases: 0, tclRuns: 0, prompts: 0, prBodies: 0, commits: 0 };

describe('enqueue', () => {
  it('stores what it accepts exactly and refuses the rest with a clear error, changing nothing', async () => {
    const store = await PanicStore.open(`file:${path.join(dir, 'library.db')}`);
    const snapshot = async () =>
      createHash('sha256')
        .update(JSON.stringify(await store.list()))
        .digest('hex');
    try {
      for (const entry of entries) {
        for (const field of entry.fields) {
          const panic = {
            panic_location: field === 'location' ? entry.value : plainLocation(entry.id, field),
            panic_message: field === 'message' ? entry.value : 'boom',
            sql_statements: field === 'sql' ? entry.value : 'SELECT 1;',
          };
          const refusal = expectedRefusal(field, entry.value);
          figures.enqueueCases++;
          const label = `${entry.id} as ${field}`;
          if (refusal) {
            figures.refused++;
            const before = await snapshot();
            await expect(store.enqueue(panic), label).rejects.toThrow(refusal);
            expect(await snapshot(), label).toBe(before);
            continue;
          }
          const row = await store.enqueue(panic);
          const stored = await store.get(row.panic_location);
          expect(stored, label).toBeDefined();
          expect(stored!.panic_location, label).toBe(utf8RoundTrip(panic.panic_location.trim()));
          expect(stored!.panic_message, label).toBe(utf8RoundTrip(panic.panic_message));
          expect(stored!.sql_statements, label).toBe(utf8RoundTrip(panic.sql_statements));
          // What the actions pass around as JSON parses back to the same row.
          expect(JSON.parse(JSON.stringify(stored)), label).toEqual(stored);
        }
      }
    } finally {
      store.close();
    }
    expect(markers()).toEqual([]);
  });

  it('the CLI takes the bytes from files exactly, and refuses NUL, oversize and non-UTF-8 input clearly', async () => {
    const db = `file:${path.join(dir, 'cli.db')}`;
    const cli = (args: string[], stdin = '') =>
      runCliCaptured([args[0]!, '--db', db, ...args.slice(1)], { stdin, cwd: dir });
    const status = async () => (await cli(['status', '--json'])).stdout;
    for (const entry of entries) {
      for (const field of entry.fields.filter((f) => f !== 'location')) {
        const file = path.join(dir, `${entry.id}.${field}`);
        await writeFile(file, entry.bytes);
        const location = plainLocation(entry.id, `cli-${field}` as Field);
        const args = [
          'enqueue',
          location,
          ...(field === 'message' ? ['--message-file', file, '--sql', 'SELECT 1;'] : []),
          ...(field === 'sql' ? ['--message', 'boom', '--sql-file', file] : []),
        ];
        figures.cliCases++;
        const label = `${entry.id} as ${field} through the CLI`;
        const refusal = entry.nonUtf8 ? /not valid UTF-8/ : expectedRefusal(field, entry.value);
        if (refusal) {
          const before = await status();
          const result = await cli(args);
          expect(result.code, label).not.toBe(0);
          expect(result.stderr, label).toMatch(refusal);
          expect(await status(), label).toBe(before);
          continue;
        }
        const result = await cli(args);
        expect(result.code, `${label}: ${result.stderr}`).toBe(0);
        const rows = JSON.parse(await status()) as Record<string, unknown>[];
        const row = rows.find((r) => r.panic_location === location)!;
        expect(row[field === 'message' ? 'panic_message' : 'sql_statements'], label).toBe(
          entry.bytes.toString('utf8'),
        );
      }
    }
    // Locations come as an argument: the same rules as the library.
    for (const { location } of acceptedLocations()) {
      // `--` ends the options: a location may look like one (`-rf …`, `--upload-pack=…`).
      const result = await cli(['enqueue', '--message', 'm', '--sql', 'SELECT 1;', '--', location]);
      expect(result.code, `${location}: ${result.stderr}`).toBe(0);
    }
    expect(markers()).toEqual([]);
  });

  it('the installed entry point refuses non-UTF-8 on stdin and keeps valid stdin byte for byte', () => {
    const db = `file:${path.join(dir, 'stdin.db')}`;
    const entry = path.join(REPO_ROOT, 'packages', 'core', 'src', 'cli', 'entry.ts');
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const run = (location: string, input: Buffer) =>
      spawnSync(tsx, [entry, 'enqueue', location, '--message', 'm', '--sql-file', '-', '--db', db], {
        input,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        timeout: 60_000,
      });
    const bad = entries.find((e) => e.nonUtf8)!;
    const refused = run('core/stdin/bad.rs:1:1', bad.bytes);
    expect(refused.status, refused.stderr).not.toBe(0);
    expect(refused.stderr).toMatch(/not valid UTF-8/);
    const hostile = entries.find((e) => e.id === 'one-mb-hostile')!;
    const ok = run('core/stdin/ok.rs:1:1', hostile.bytes);
    expect(ok.status, ok.stderr).toBe(0);
    const listed = spawnSync(tsx, [entry, 'status', '--json', '--db', db], {
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(listed.status, `${listed.stderr} ${String(listed.error)} ${listed.stdout.length}`).toBe(0);
    const rows = JSON.parse(listed.stdout) as { panic_location: string; sql_statements: string }[];
    expect(rows.map((r) => r.panic_location)).toEqual(['core/stdin/ok.rs:1:1']);
    expect(rows[0]!.sql_statements).toBe(hostile.bytes.toString('utf8'));
  });
});

describe('names', () => {
  it('every accepted location yields a valid, distinct branch and safe file names', () => {
    const branches = new Set<string>();
    for (const { id, location } of acceptedLocations()) {
      const names = panicNames(location);
      const check = spawnSync('git', ['check-ref-format', '--branch', names.branch], { encoding: 'utf8' });
      expect(check.status, `${id}: ${names.branch} ${check.stderr}`).toBe(0);
      expect(check.stdout.trim()).toBe(names.branch);
      for (const name of [names.slug, names.sessionId, names.testName, names.artifactName])
        expect(name, id).toMatch(/^[a-z0-9][a-z0-9-]{0,100}$/);
      branches.add(names.branch);
    }
    expect(branches.size).toBe(acceptedLocations().length);
  });
});

describe('repo_setup', () => {
  // A harness with Turso's interface that records exactly what it receives (binary-safe).
  const FAKE_TESTER = `
proc record {name value} {
  set f [open [file join $::env(RECORD_DIR) $name] w]
  fconfigure $f -translation binary -encoding utf-8
  puts -nonewline $f $value
  close $f
}
proc do_execsql_test_on_specific_db {db name sql expected_outputs} {
  record db $db
  record name $name
  record sql $sql
  record expected [join $expected_outputs "\\n"]
}
`;

  it('the TCL regression test runs under a real tclsh and hands the harness the exact SQL and expected text', async () => {
    const testing = path.join(dir, 'tcl', 'testing');
    await mkdir(testing, { recursive: true });
    await writeFile(path.join(testing, 'tester.tcl'), FAKE_TESTER);
    const locations = acceptedLocations();
    let refusedHazards = 0;
    for (const [i, { id, sql }] of acceptedSql().entries()) {
      // Pair each SQL with an adversarial location (the comment line) and use it as expected output too.
      const location = locations[i % locations.length]!.location;
      const names = panicNames(location);
      let file;
      try {
        file = regressionTestFile({
          format: 'tcl',
          target: TARGET,
          names,
          sql,
          expected: sql,
          panicLocation: location,
        });
      } catch (error) {
        // Only exec redirections are refused (documented: not SQL, and the harness would act on them).
        expect(error, id).toBeInstanceOf(RegressionFileError);
        expect(String(error), id).toMatch(/exec redirection/);
        refusedHazards++;
        continue;
      }
      expect(file.relativePath).toBe(`testing/${names.testName}.test`);
      const testFile = path.join(dir, 'tcl', file.relativePath);
      await writeFile(testFile, file.content, { mode: file.mode });
      const record = path.join(dir, 'tcl', 'record', id);
      await mkdir(record, { recursive: true });
      const run = spawnSync('tclsh', [testFile], {
        cwd: path.join(dir, 'tcl'),
        // tclsh reads a script in the system encoding: UTF-8 on runners (C.UTF-8), which the file assumes.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', RECORD_DIR: record },
        encoding: 'utf8',
        timeout: 30_000,
      });
      figures.tclRuns++;
      expect(run.status, `${id}: ${run.stderr}`).toBe(0);
      expect(await readFile(path.join(record, 'sql'), 'utf8'), id).toBe(sql);
      expect(await readFile(path.join(record, 'expected'), 'utf8'), id).toBe(sql);
      expect(await readFile(path.join(record, 'name'), 'utf8'), id).toBe(names.testName);
    }
    // Exactly the SQL starting with an exec redirection character (`<`, `>`, `|`, `2>`).
    expect(refusedHazards).toBe(acceptedSql().filter(({ sql }) => /^(?:[<>|]|2>)/.test(sql.trim())).length);
    expect(refusedHazards).toBeGreaterThanOrEqual(1);
    expect(markers()).toEqual([]);
  });

  describe('writes into a real sandbox', () => {
    let sandbox: Sandbox;
    let base: string;
    let outside: string;
    beforeAll(async () => {
      base = path.join(dir, 'base');
      outside = path.join(dir, 'outside');
      await mkdir(path.join(base, 'testing'), { recursive: true });
      await mkdir(outside);
      await writeFile(path.join(base, 'testing', 'all.test'), 'set testdir [file dirname $argv0]\n');
      // A tracked symlink leading out of the repository.
      await symlink(outside, path.join(base, 'escape-link'));
      const git = (...args: string[]) =>
        execFileSync('git', args, { cwd: base, env: GIT_ENV, encoding: 'utf8' });
      git('init', '-q', '-b', 'main');
      git('add', '-A');
      git('commit', '-q', '-m', 'base');
      sandbox = await createSandbox(
        { backend: 'auto', agentfsPath: 'agentfs' },
        {
          baseRepo: base,
          baseSha: git('rev-parse', 'HEAD').trim(),
          id: 'adversarial-corpus',
          workDir: path.join(dir, 'sandboxes'),
          log: () => undefined,
        },
      );
    }, 120_000);
    afterAll(async () => {
      await sandbox?.destroy();
    });

    async function sandboxFile(relativePath: string): Promise<string | undefined> {
      const out = path.join(dir, `read-${createHash('sha256').update(relativePath).digest('hex')}`);
      const result = await sandbox.run(['cp', '--', relativePath, out], { timeoutMs: 30_000 });
      return result.exitCode === 0 ? readFile(out, 'utf8') : undefined;
    }

    it('every regression test lands at its own path inside the repository, byte for byte', async () => {
      for (const { id, location } of acceptedLocations()) {
        const file = regressionTestFile({
          format: 'tcl',
          target: TARGET,
          names: panicNames(location),
          sql: 'SELECT 1;',
          expected: '1',
          panicLocation: location,
        });
        await writeFilesIntoSandbox(sandbox, [
          { path: file.relativePath, content: file.content, mode: file.mode },
        ]);
        expect(await sandboxFile(file.relativePath), id).toBe(file.content);
      }
      expect(readdirSync(outside)).toEqual([]);
    });

    it('refuses paths that leave the repository, including through a symlink', async () => {
      const escapes = [
        '../escaped.test',
        '../../escaped.test',
        'testing/../../escaped.test',
        'a/b/../../../escaped.test',
        '..',
        '..\\escaped.test',
        path.join(outside, 'absolute.test'),
        '/tmp/panic-fix-adversarial-pwned-absolute',
        'escape-link/through-symlink.test',
        'escape-link',
      ];
      for (const relativePath of escapes) {
        await expect(
          writeFilesIntoSandbox(sandbox, [{ path: relativePath, content: 'x' }]),
          relativePath,
        ).rejects.toThrow(/outside the repository/);
      }
      expect(readdirSync(outside)).toEqual([]);
      expect(existsSync(path.join(dir, 'escaped.test'))).toBe(false);
      expect(existsSync(path.join(dir, 'sandboxes', 'escaped.test'))).toBe(false);
      expect(markers()).toEqual([]);
    });
  });
});

describe('prompts', () => {
  it('panic data sits verbatim inside fences it cannot close; nothing is expanded twice', async () => {
    const templates = {
      reproducer: await loadPromptTemplate('reproducer'),
      fixer: await loadPromptTemplate('fixer'),
    };
    const locations = acceptedLocations();
    for (const [i, entry] of entries.entries()) {
      const message = expectedRefusal('message', entry.value) ? 'boom' : entry.value;
      const sql = expectedRefusal('sql', entry.value) ? 'SELECT 1;' : entry.value;
      const location = locations[i % locations.length]!.location;
      const vars: Record<string, string> = {
        ...panicPromptVars({
          panicLocation: location,
          panicMessage: message,
          sqlStatements: sql,
          target: TARGET,
          regressionTest: 'testing/x.test',
          failingSeed: '17',
          // Agent-written text from the reproducer reaches the fixer's prompt too.
          whySimulatorMissed: entry.value,
          simulatorChanges: entry.value,
        }),
      };
      for (const [name, template] of Object.entries(templates)) {
        for (const placeholder of promptPlaceholders(template)) vars[placeholder] ??= `<${placeholder}>`;
        const prompt = renderPrompt(template, vars);
        figures.prompts++;
        const label = `${entry.id} in the ${name} prompt`;
        const blocks = fencedBlocks(prompt);
        expect(
          blocks.every((b) => b.closed),
          label,
        ).toBe(true);
        const contents = blocks.map((b) => b.content);
        // Each data block is one whole fenced block whose content is exactly the data.
        for (const [data, info] of [
          [message, 'text'],
          [sql, 'sql'],
          [entry.value, 'text'],
        ] as const) {
          if (!prompt.includes(fenced(data, info))) continue; // the template does not use this block
          // A trailing bare CR and the fence's own newline read as one CRLF line ending (CommonMark).
          const lines = data.replace(/\r$/, '').split(/\r\n|\r|\n/);
          expect(contents, `${label}: ${info} block`).toContain(lines.join('\n'));
        }
        expect(prompt.includes(fenced(message, 'text')), label).toBe(true);
        // The location line: an inline code span that the location cannot end early.
        const line = prompt.split('\n').find((l) => l.startsWith('- Location: '))!;
        expect(codeSpanText(line.slice('- Location: '.length)), label).toBe(location);
      }
    }
    expect(markers()).toEqual([]);
  });
});

/** The text of a line that must be exactly one CommonMark code span (backtick run … same-length run). */
function codeSpanText(span: string): string | undefined {
  const open = /^`+/.exec(span)?.[0];
  if (!open) return undefined;
  if (!span.endsWith(open) || span.length < open.length * 2) return undefined;
  const inner = span.slice(open.length, span.length - open.length);
  // No run of exactly the opener's length may occur inside (it would close the span).
  if ((inner.match(/`+/g) ?? []).some((run) => run.length === open.length)) return undefined;
  // CommonMark strips one space on each side when both are spaces and the content is not all spaces.
  const stripped = /^ .* $/s.test(inner) && inner.trim() !== '' ? inner.slice(1, -1) : inner;
  return stripped;
}

describe('PR body', () => {
  it('renders every field literally: data stays inside fences, prose is escaped, mentions are broken', () => {
    const locations = acceptedLocations();
    for (const [i, entry] of entries.entries()) {
      const value = entry.value;
      const location = locations[i % locations.length]!.location;
      const body = prBody({
        location,
        message: value,
        sqlStatements: value,
        bugDescription: value,
        fixDescription: value,
        whySimulatorMissed: value,
        simulatorChanges: value,
        // The seed is validated as a u64 before it gets here; a short hostile one still must not break out.
        failingSeed: value.slice(0, 40),
        // Command output from validation is data; step names and phases are ours.
        validation: { steps: [{ name: 'simulator seed 17', ok: false, detail: value }] },
        phases: { reproduce: { outcome: value.slice(0, 200), attempts: 1 } },
        regressionTest: `testing/${panicNames(location).testName}.test`,
        runUrl: value.slice(0, 300),
        branch: panicNames(location).branch,
        baseCommit: 'a'.repeat(40),
      });
      figures.prBodies++;
      // The title: one line, within GitHub's customary length, no control characters.
      const title = prTitle({ location, message: value });
      expect([...title].length, entry.id).toBeLessThanOrEqual(72);
      // eslint-disable-next-line no-control-regex
      expect(/[\u0000-\u001f\u007f-\u009f]/.test(title), entry.id).toBe(false);
      const label = entry.id;
      expect(body.length, label).toBeLessThanOrEqual(65_000);
      const blocks = fencedBlocks(body);
      expect(
        blocks.every((b) => b.closed),
        label,
      ).toBe(true);
      // Exactly the message and the SQL are code blocks; their fences outrun any backtick run inside.
      expect(
        blocks.map((b) => b.opener.replace(/^`+/, '')),
        label,
      ).toEqual(value.trim() ? ['text', 'sql'] : ['text']);
      const clean = cleanText(value).replace(/\n+$/, '');
      for (const block of blocks) {
        const fence = /^`+/.exec(block.opener)![0];
        expect(fence.length, label).toBeGreaterThan(longestRun(block.content, '`'));
        const note = /\n… \[truncated: \d+ more characters; see the run artifact for the full text\]$/;
        if (note.test(block.content)) {
          const kept = block.content.replace(note, '');
          expect(clean.startsWith(kept), label).toBe(true);
          expect(kept.length, label).toBeGreaterThan(1_000);
        } else expect(block.content, label).toBe(clean);
      }
      // Outside the code blocks: the location line and every prose line is escaped literal text.
      const locationLine = body.split('\n').find((l) => l.startsWith('**Location:** '))!;
      const loc = unescapeLiteral(locationLine.slice('**Location:** '.length));
      expect(loc, label).toEqual({ text: cleanText(location).replace(/\s+/g, ' ').trim() });
      const sections = ['Root cause', 'Fix', 'Why the simulator missed it', 'Simulator changes'];
      for (const section of sections) {
        const lines = proseLines(body, section);
        if (!cleanText(value).trim()) {
          expect(lines, `${label} ${section}`).toBeUndefined();
          continue;
        }
        expect(lines, `${label} ${section}`).toBeDefined();
        const text: string[] = [];
        for (const line of lines!) {
          const read = unescapeLiteral(line);
          expect('error' in read ? read.error : '', `${label} ${section}: ${line.slice(0, 80)}`).toBe('');
          if ('text' in read) text.push(read.text);
        }
        const squash = (s: string) => s.replace(/[\s\u00a0]+/g, '');
        if (clean.length < 2_000) expect(squash(text.join('\n')), `${label} ${section}`).toBe(squash(clean));
      }
      // No raw HTML tag anywhere outside the code blocks and code spans.
      const outsideCode = body
        .split(/\r\n|\r|\n/)
        .filter((_, n) => !blocks.some((b) => n >= b.startLine && n <= b.endLine))
        .map((l) => l.replace(/`[^`]*`/g, ''));
      expect(
        outsideCode.filter((l) => /(^|[^\\])<[A-Za-z/!?]/.test(l)),
        label,
      ).toEqual([]);
    }
    expect(markers()).toEqual([]);
  });
});

/** The lines of a `## <title>` section up to the next blank-line-separated heading. */
function proseLines(body: string, title: string): string[] | undefined {
  const lines = body.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) return undefined;
  const out: string[] = [];
  for (let i = start + 2; i < lines.length && !lines[i]!.startsWith('## ') && lines[i] !== '---'; i++)
    if (lines[i]) out.push(lines[i]!);
  return out;
}

describe('commit message', () => {
  it('commits byte for byte; data is indented, cleaned of controls, and never forms trailers', async () => {
    const repo = path.join(dir, 'commit-repo');
    await mkdir(repo);
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repo, env: GIT_ENV, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    git('commit', '-q', '--allow-empty', '-m', 'base');
    const parent = git('rev-parse', 'HEAD').trim();
    const locations = acceptedLocations();
    for (const [i, entry] of entries.entries()) {
      const location = locations[i % locations.length]!.location;
      const message = commitMessage({
        location,
        message: entry.value,
        rootCause: entry.value,
        fix: entry.value,
        failingSeed: entry.value.slice(0, 100),
        slug: panicNames(location).slug,
      });
      await writeFile(path.join(repo, 'file.txt'), `${entry.id}\n`);
      git('add', 'file.txt');
      const sha = await commitSquashed({
        repoDir: repo,
        tree: git('write-tree').trim(),
        parent,
        message,
        author: { name: 'panic-fix', email: 'p@example.com' },
      });
      figures.commits++;
      const label = entry.id;
      // The raw commit object: header, blank line, then the message exactly as rendered.
      const raw = execFileSync('git', ['cat-file', 'commit', sha], { cwd: repo, env: GIT_ENV });
      const bodyStart = raw.indexOf('\n\n') + 2;
      expect(raw.subarray(bodyStart).toString('utf8'), label).toBe(utf8RoundTrip(message));
      // Documented normalisation: CRLF/CR → LF, controls dropped, every data line indented.
      const subject = message.split('\n')[0]!;
      expect(subject.startsWith('fix: panic at '), label).toBe(true);
      expect([...subject].length, label).toBeLessThanOrEqual(72);
      // eslint-disable-next-line no-control-regex
      expect(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(message), label).toBe(false);
      const section = message.split('\nPanic message:\n')[1]!.split('\n\nRoot cause:\n')[0]!;
      const clean = cleanText(entry.value).replace(/\s+$/, '');
      if (clean && clean.length < 8_000)
        expect(
          section
            .split('\n')
            .map((l) => l.replace(/^ {4}/, ''))
            .join('\n'),
          label,
        ).toBe(clean);
      // Only our trailers.
      const trailers = execFileSync('git', ['interpret-trailers', '--parse'], {
        input: message,
        env: GIT_ENV,
        encoding: 'utf8',
      });
      for (const trailer of trailers.trim().split('\n'))
        expect(trailer, label).toMatch(/^Panic-fix-(slug|seed): [A-Za-z0-9._/-]+$/);
    }
    expect(markers()).toEqual([]);
  });
});

describe('figures', () => {
  it('nothing the corpus carries executed anywhere', () => {
    expect(markers()).toEqual([]);
    if (process.env.PANIC_FIX_SECURITY_FIGURES)
      process.stdout.write(`adversarial corpus: ${entries.length} entries; ${JSON.stringify(figures)}\n`);
  });
});
