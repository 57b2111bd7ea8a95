// One full local pass (`panic-fix run --once`, real claude CLI on a scripted model, example target,
// dry-run PR) of an adversarial panic, with canary credentials planted in the runner's environment and
// properties.json. The agents dump their environment first thing; afterwards no canary may appear in
// that dump, anything sent to the model, the console, the logs table, the rows, or any file the run
// left (artifacts, transcripts, MCP config, PR body, commit); the panic's hostile message and SQL must
// come out literal in the PR body and commit message, and nothing in them may execute.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { panicNames } from '../../packages/core/src/naming.js';
import { cleanText } from '../../packages/core/src/ship/text.js';
import { PanicStore } from '../../packages/core/src/store/panic-store.js';
import { prepareDemo } from '../../packages/testkit/src/demo/prepare.js';
import { panicFixScenario, scenarioPanic } from '../../packages/testkit/src/scenario/panic-fix-scenario.js';
import { scriptedAgentEnv } from '../../packages/testkit/src/scripted-model/claude-env.js';
import { startScriptedModel, type ScriptedModel } from '../../packages/testkit/src/scripted-model/server.js';
import { toolUses } from '../../packages/testkit/src/scripted-model/turns.js';
import type { ScriptedTurn, TurnContext } from '../../packages/testkit/src/scripted-model/types.js';
import { spawnRun, type Layout, type RunningCli } from '../local-mode/harness.js';
import { fencedBlocks, longestRun } from './markdown-check.js';

const hex = randomBytes(6).toString('hex');
const CANARIES = {
  githubToken: `ghp_canaryGithub${hex}`,
  tursoAuthToken: `canary-turso-token-${hex}`,
  libsqlPassword: `canary-libsql-password-${hex}`,
};
const LIBSQL_URL = `libsql://panic-fix:${CANARIES.libsqlPassword}@canary-db.invalid`;
const PROBE = 'canary-turso-token-feedf00d';
const MARKER = `/tmp/panic-fix-adversarial-pwned-pipeline-${hex}`;

const LOCATION = 'core/storage/btree.rs:25:9'; // insert-partial-columns, reproduced by seed 17
const MESSAGE = [
  `record arity does not match table column count ' " \` $(touch ${MARKER}-msg) \${HOME} {[ ]} \\ $env(HOME)`,
  '```',
  '</details><script>alert(1)</script> @octocat',
  '~~~',
  'EOF',
  'Signed-off-by: Mallory <m@example.com>',
].join('\n');
// The planted panic's SQL plus a harmless statement full of specials: sqlite3 still gives the expected output.
const SQL =
  'CREATE TABLE t(a INTEGER, b TEXT); INSERT INTO t(a) VALUES (1); SELECT * FROM t;\n' +
  `SELECT '$(touch ${MARKER}-sql) \`\`\` {[ ]} \\ " ~~~ </details> it''s';`;

/**
 * What each agent runs first: its own environment, then every other process's environment and command
 * line it can read, searched for the canaries' shapes (Claude Code cuts long tool output, so the agent
 * searches and the test reads what it found).
 */
const DUMP = [
  "env; echo '--- other processes';",
  "grep -a -o -E 'ghp_canaryGithub[0-9a-f]+|canary-turso-token-[0-9a-f]+|canary-libsql-password-[0-9a-f]+'",
  '/proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null;',
  'echo "searched $(ls -d /proc/[0-9]* | wc -l) processes"',
].join(' ');

/** Every agent session starts by dumping its environment; then the ordinary scenario plays on. */
function envDumpingScenario(base: (ctx: TurnContext) => ScriptedTurn): (ctx: TurnContext) => ScriptedTurn {
  return (ctx) => {
    const messages = ctx.body.messages ?? [];
    if (!messages.some((m) => m.role === 'assistant'))
      return toolUses([
        {
          name: 'Bash',
          input: { command: DUMP },
        },
      ]);
    // Hide the dump exchange (our Bash call and its result) from the scenario, which counts its steps
    // by assistant turns.
    const dumpCall = messages.findIndex((m) => m.role === 'assistant');
    const rest = messages.filter((_, i) => i !== dumpCall && i !== dumpCall + 1);
    return base({ ...ctx, body: { ...ctx.body, messages: rest } });
  };
}

let dir: string;
let layout: Pick<Layout, 'configFile' | 'workDir'> & { dir: string };
let model: ScriptedModel;
let cli: RunningCli;
let exit: { code: number | null; signal: NodeJS.Signals | null };
let tursoUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pf-secrets-'));
  const demo = await prepareDemo({ dir, log: () => undefined, enqueue: () => false });
  tursoUrl = demo.properties.tursoUrl;
  const store = await PanicStore.open(tursoUrl);
  await store.enqueue({ panic_location: LOCATION, panic_message: MESSAGE, sql_statements: SQL });
  store.close();
  const planted = demo.panics.find((p) => p.panic_location === LOCATION)!;
  model = await startScriptedModel({
    script: envDumpingScenario(panicFixScenario([scenarioPanic(planted)])),
  });
  // Canaries in the config file too (the environment overrides them with the same values, and
  // TURSO_URL points the run at the real file database).
  const properties = {
    ...demo.properties,
    maxParallelPanics: 1,
    dryRun: true,
    tursoUrl: LIBSQL_URL,
    tursoAuthToken: CANARIES.tursoAuthToken,
    githubToken: CANARIES.githubToken,
  };
  const configFile = path.join(dir, 'properties.json');
  await writeFile(configFile, `${JSON.stringify(properties, null, 2)}\n`);
  layout = { dir, configFile, workDir: path.join(dir, 'work') };
  const env = {
    ...scriptedAgentEnv(model.url, path.join(dir, 'claude-config'), 'sk-scripted-model'),
    TURSO_URL: tursoUrl,
    TURSO_AUTH_TOKEN: CANARIES.tursoAuthToken,
    GITHUB_TOKEN: CANARIES.githubToken,
    GH_TOKEN: CANARIES.githubToken,
    PANIC_FIX_GITHUB_TOKEN: CANARIES.githubToken,
    DATABASE_URL: LIBSQL_URL,
    // Positive control for the agents' /proc search: an allowed variable with a canary-shaped value.
    CLAUDE_CODE_PANIC_FIX_PROBE: PROBE,
  };
  cli = spawnRun({ ...layout, model: { env } } as unknown as Layout, ['--once']);
  exit = await cli.exited;
}, 300_000);

afterAll(async () => {
  await model?.close();
  for (const suffix of ['msg', 'sql']) await rm(`${MARKER}-${suffix}`, { force: true });
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
});

/** Where each canary occurs in `text` (name list; empty = none). */
function leaks(text: string | Buffer): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(CANARIES))
    if (typeof text === 'string' ? text.includes(value) : text.includes(value)) found.push(name);
  return found;
}

async function* filesUnder(root: string): AsyncGenerator<string> {
  for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) yield* filesUnder(full);
    else if (entry.isFile()) yield full;
  }
}

describe('a full local pass of an adversarial panic with planted credentials', () => {
  it('reaches pr_open (dry run)', async () => {
    expect(exit, `${cli.stdout().slice(-3000)}\n${cli.stderr().slice(-3000)}`).toEqual({
      code: 0,
      signal: null,
    });
    const store = await PanicStore.open(tursoUrl);
    const row = await store.get(LOCATION);
    store.close();
    expect(row?.status, row?.workflow_error?.error).toBe('pr_open');
    expect(row?.failing_seed).toBe('17');
  });

  it("the agents' environment held no credential (both agents dumped it)", () => {
    const dumps = model
      .mainRequests()
      .map((r) => r.body)
      .filter((body) => body.includes('--- other processes'));
    // The dump came back as a tool result to the reproducer and to the fixer.
    expect(dumps.length).toBeGreaterThanOrEqual(2);
    // Positive control: variables the allow-list passes from the runner's environment arrived.
    for (const body of dumps) expect(body).toContain('IS_SANDBOX=1');
    for (const body of dumps) expect(body).toContain(`ANTHROPIC_BASE_URL=${model.url}`);
    for (const body of dumps) expect(body).toMatch(/searched [1-9]\d* processes/);
    for (const body of dumps) expect(body).toMatch(new RegExp(`/proc/\\d+/environ:${PROBE}`));
    if (process.env.PANIC_FIX_SECURITY_FIGURES)
      process.stdout.write(`agent env dump: ${/HOME=[^\\]*/.exec(dumps[0]!)?.[0]}\n`);
    for (const body of dumps)
      expect(body).not.toMatch(/(GITHUB_TOKEN|GH_TOKEN|TURSO_AUTH_TOKEN|TURSO_URL|DATABASE_URL)=/);
    expect(dumps.flatMap(leaks)).toEqual([]);
  });

  it('no canary in anything sent to the model, the console, the logs table or the rows', async () => {
    expect(model.requests.flatMap((r) => leaks(r.body))).toEqual([]);
    // Positive control: the detector finds them where we planted them.
    expect(leaks(await readFile(layout.configFile))).toEqual(Object.keys(CANARIES));
    expect(leaks(cli.stdout())).toEqual([]);
    expect(leaks(cli.stderr())).toEqual([]);
    const store = await PanicStore.open(tursoUrl);
    const logs = await store.logs({ limit: 100_000 });
    const rows = await store.list();
    store.close();
    expect(logs.length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(logs))).toEqual([]);
    expect(leaks(JSON.stringify(rows))).toEqual([]);
  });

  it('no canary in any file the run left (artifacts, transcripts, MCP config, PR body, checkout, database)', async () => {
    let scanned = 0;
    const leaked: string[] = [];
    for await (const file of filesUnder(dir)) {
      if (file === layout.configFile) continue; // where we planted them
      if (file.includes(`${path.sep}target${path.sep}target${path.sep}`)) continue; // cargo build output
      const stat = await lstat(file);
      if (stat.size > 256 * 1024 * 1024) continue;
      scanned++;
      const found = leaks(await readFile(file));
      if (found.length) leaked.push(`${path.relative(dir, file)}: ${found.join(', ')}`);
    }
    expect(leaked).toEqual([]);
    // The transcripts and the PR body were among them.
    const all: string[] = [];
    for await (const file of filesUnder(dir)) all.push(file);
    expect(all.some((f) => f.endsWith('.jsonl'))).toBe(true);
    expect(all.some((f) => f.endsWith('pr-body.md'))).toBe(true);
    expect(scanned).toBeGreaterThan(10);
  });

  it('the PR body and the commit message carry the hostile message and SQL literally; nothing executed', async () => {
    const slug = panicNames(LOCATION).slug;
    const bodyFile = [...cli.stdout().matchAll(/body in (\S+pr-body\.md)/g)].map((m) => m[1]!)[0];
    expect(bodyFile).toBeDefined();
    const body = await readFile(bodyFile!, 'utf8');
    const blocks = fencedBlocks(body);
    expect(blocks.every((b) => b.closed)).toBe(true);
    const message = blocks.find((b) => /^`+text$/.test(b.opener))!;
    const sql = blocks.find((b) => /^`+sql$/.test(b.opener))!;
    expect(message.content).toBe(cleanText(MESSAGE));
    expect(sql.content).toBe(SQL);
    for (const block of [message, sql])
      expect(/^`+/.exec(block.opener)![0].length).toBeGreaterThan(longestRun(block.content, '`'));
    // Outside the code blocks, no live HTML and no live mention (the message is only inside its block).
    const outside = body
      .split(/\r\n|\r|\n/)
      .filter((_, n) => !blocks.some((b) => n >= b.startLine && n <= b.endLine))
      .join('\n');
    expect(outside).not.toMatch(/(^|[^\\])<[A-Za-z/]/m);
    expect(outside).not.toMatch(/@octocat/);

    const checkout = path.join(layout.workDir, `ship-${slug}`);
    const commitText = existsSync(checkout)
      ? execFileSync('git', ['log', '-1', '--format=%B'], { cwd: checkout, encoding: 'utf8' })
      : await readFile(path.join(path.dirname(bodyFile!), 'pr.patch'), 'utf8');
    const indented = cleanText(MESSAGE)
      .split('\n')
      .map((l) => (l ? `    ${l}` : ''))
      .join('\n');
    expect(commitText).toContain(`Panic message:\n${indented}\n`);
    const trailers = execFileSync('git', ['interpret-trailers', '--parse'], {
      input: commitText,
      encoding: 'utf8',
    });
    expect(trailers).not.toMatch(/Signed-off-by/);

    expect(existsSync(`${MARKER}-msg`)).toBe(false);
    expect(existsSync(`${MARKER}-sql`)).toBe(false);
    expect(readdirSync('/tmp').filter((n) => n.startsWith(path.basename(MARKER)))).toEqual([]);
  });
});
