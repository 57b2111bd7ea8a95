import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CLAUDE_BIN,
  claudeEnv,
  crash,
  stall,
  startScriptedModel,
  text,
  toolUse,
  type ScriptedModel,
} from '@panic-fix/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLOCK_TOKEN_ENV, CLOCK_URL_ENV } from '../clock/protocol.js';
import { type BudgetClock, startBudgetClock } from '../clock/server.js';
import { type AgentWrap, runAgent, type RunAgentOptions } from './run-agent.js';
import type { StreamEvent } from './stream-json.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..', '..', '..');
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const MCP_FIXTURE = path.join(HERE, 'fixtures', 'mcp-test-server.ts');

const CANARY = `canary-${randomBytes(8).toString('hex')}`;

let dir: string;
let repo: string;
let home: string;
let model: ScriptedModel | undefined;
let clock: BudgetClock | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'run-agent-'));
  repo = path.join(dir, 'repo');
  home = path.join(dir, 'home');
  await mkdir(repo);
  await mkdir(home);
});
afterEach(async () => {
  await model?.close();
  await clock?.close();
  model = undefined;
  clock = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** The pipeline plugs the sandbox's wrap in here; tests run the CLI directly in a temp repo. */
const identityWrap: AgentWrap = (argv, { env }) => ({ argv, cwd: repo, env });

function options(overrides: Partial<RunAgentOptions> & { mcpEnv?: Record<string, string> }): RunAgentOptions {
  const { mcpEnv, ...rest } = overrides;
  return {
    wrap: identityWrap,
    claudePath: CLAUDE_BIN,
    prompt: 'Fix the panic.',
    budgetMs: 90_000,
    killGraceMs: 3_000,
    workDir: dir,
    mcpServer: { command: process.execPath, args: ['--import', TSX_LOADER, MCP_FIXTURE], env: mcpEnv ?? {} },
    // Secrets in the runner's environment that must never reach the agent.
    sourceEnv: {
      ...process.env,
      GITHUB_TOKEN: CANARY,
      TURSO_AUTH_TOKEN: CANARY,
      TURSO_URL: `libsql://${CANARY}`,
      PANIC_FIX_SECRET: CANARY,
    },
    extraEnv: claudeEnv({ baseUrl: model!.url, home }),
    ...rest,
  };
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL was sent when runAgent returned; give the kernel a moment to reap, then insist it is gone. */
async function expectGroupGone(pid: number | undefined): Promise<void> {
  expect(pid).toBeTypeOf('number');
  for (let i = 0; i < 100 && groupAlive(pid!); i++) await new Promise((r) => setTimeout(r, 50));
  expect(groupAlive(pid!)).toBe(false);
}

describe('runAgent with the real Claude Code CLI', () => {
  it('edits a file, calls an MCP tool and succeeds; secrets stay out of its environment', async () => {
    const file = path.join(repo, 'lib.rs');
    await writeFile(file, 'fn f() { panic!("boom") }\n');
    model = await startScriptedModel({
      script: [
        toolUse('Read', { file_path: file }),
        toolUse('Edit', { file_path: file, old_string: 'panic!("boom")', new_string: '()' }),
        toolUse('mcp__panic-fix__echo', { text: 'from the model' }),
        toolUse('Bash', { command: 'env' }),
        (ctx) => text(`Fixed. Environment had ${ctx.toolResults[0]?.text.split('\n').length ?? 0} lines.`),
      ],
    });
    const events: StreamEvent[] = [];
    const summaries: string[] = [];
    const result = await runAgent(
      options({ onEvent: (event) => events.push(event), onSummary: (line) => summaries.push(line) }),
    );

    expect(result.outcome).toBe('success');
    expect(result.resultText).toMatch(/^Fixed\. Environment had \d+ lines\.$/);
    expect(result.numTurns).toBeGreaterThanOrEqual(5);
    expect(await readFile(file, 'utf8')).toBe('fn f() { () }\n');

    const transcript = await readFile(result.transcriptFile, 'utf8');
    expect(transcript).toContain('echo: from the model');
    expect(transcript).toContain('"subtype":"success"');
    expect(events.map((e) => e.type)).toContain('result');
    expect(summaries.some((line) => line.startsWith('tool mcp__panic-fix__echo'))).toBe(true);

    // The env dump came back to the model as a tool result: the allow-list held.
    const envDump = model.mainRequests()[4]!.body;
    expect(envDump).toContain('IS_SANDBOX=1');
    expect(envDump).not.toContain(CANARY);
    expect(transcript).not.toContain(CANARY);
    // Only our MCP server was configured.
    const init = events.find((e) => e.type === 'system' && e.subtype === 'init') as { mcp_servers?: unknown };
    expect(init.mcp_servers).toEqual([{ name: 'panic-fix', status: 'connected' }]);
  });

  it('stops a stalled model at the budget and leaves no process behind', async () => {
    model = await startScriptedModel({ script: [stall()] });
    // Long enough for the CLI to start and reach the model on a loaded machine.
    const result = await runAgent(options({ budgetMs: 12_000, killGraceMs: 2_000 }));
    expect(result.outcome).toBe('budget_exceeded');
    expect(result.budgetUsedMs).toBeGreaterThanOrEqual(12_000);
    // Generous bound: the point is that the grace period ends it, not how fast the machine is.
    expect(result.durationMs).toBeLessThan(12_000 + 2_000 + 15_000);
    expect(model.mainRequests().length).toBeGreaterThanOrEqual(1);
    await expectGroupGone(result.pid);
    expect(existsSync(result.transcriptFile)).toBe(true);
  });

  it('does not count time the clock excluded (a simulator-like tool run)', async () => {
    clock = await startBudgetClock();
    model = await startScriptedModel({
      script: [
        toolUse('mcp__panic-fix__sleep-as-simulator', { ms: 3_000 }),
        (ctx) => text(ctx.toolResults[0]!.text),
      ],
    });
    const result = await runAgent(
      options({ clock, mcpEnv: { [CLOCK_URL_ENV]: clock.url, [CLOCK_TOKEN_ENV]: clock.token } }),
    );
    expect(result.outcome).toBe('success');
    expect(result.resultText, result.resultText).toMatch(/^\{/);
    expect(JSON.parse(result.resultText)).toMatchObject({ clockReached: true });
    expect(clock.activeRuns()).toEqual([]);
    // The clock saw one run of ~3 s (the sleep plus one loopback round trip).
    const excluded = clock.excludedMs();
    expect(excluded).toBeGreaterThanOrEqual(3_000);
    expect(excluded).toBeLessThan(3_000 * 1.02);
    expect(Math.abs(result.excludedMs - excluded)).toBeLessThanOrEqual(1);
    const expectedUsed = result.durationMs - excluded;
    expect(Math.abs(result.budgetUsedMs - expectedUsed)).toBeLessThanOrEqual(
      Math.max(2, expectedUsed * 0.02),
    );
  });

  it('classifies a connection dropped mid-stream and keeps the transcript', async () => {
    model = await startScriptedModel({ script: [crash('Let me look')], whenExhausted: crash('again') });
    const result = await runAgent(options({ budgetMs: 60_000 }));
    expect(['crashed', 'agent_error']).toContain(result.outcome);
    expect(result.outcome).not.toBe('success');
    const transcript = await readFile(result.transcriptFile, 'utf8');
    expect(transcript).toContain('"subtype":"init"');
    await expectGroupGone(result.pid);
  });

  it("stops on the caller's abort signal and caps the transcript, keeping the result", async () => {
    model = await startScriptedModel({ script: [stall()] });
    const controller = new AbortController();
    void model.waitForMainRequests(1, 60_000).then(
      () => controller.abort(),
      () => undefined,
    );
    const stopped = await runAgent(options({ signal: controller.signal, killGraceMs: 2_000 }));
    expect(stopped.outcome).toBe('crashed');
    expect(stopped.reason).toBe('stopped by the caller');
    await expectGroupGone(stopped.pid);
    await model.close();

    model = await startScriptedModel({ script: [text('x'.repeat(10_000))] });
    const capped = await runAgent(
      options({ transcriptLimitBytes: 2_048, transcriptFile: path.join(dir, 'capped.jsonl') }),
    );
    expect(capped.outcome).toBe('success');
    expect(capped.transcriptTruncated).toBe(true);
    const lines = (await readFile(capped.transcriptFile, 'utf8')).trim().split('\n');
    const types = lines.map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toContain('panic_fix_transcript_truncated');
    expect(types.at(-1)).toBe('result');
    // Only the kept result line may push the file past the cap.
    expect(Buffer.byteLength(lines.slice(0, -1).join('\n')) + 1).toBeLessThanOrEqual(2_048 + 200);
  });

  it('delivers adversarial prompt data verbatim and runs none of it', async () => {
    const marker = path.join(dir, `pwned-${randomBytes(4).toString('hex')}`);
    const sql = `INSERT INTO t VALUES ('${'x'.repeat(1024 * 1024)}');`;
    const prompt = [
      `-p --help "double" 'single' \`touch ${marker}\` $(touch ${marker}) \${HOME}`,
      'line two\r\nline three\n\n{{not_a_var}} %s \\ \u0000-free unicode: ü 🦀',
      sql,
    ].join('\n');
    model = await startScriptedModel({ script: [text('Read it.')] });
    const result = await runAgent(options({ prompt }));
    expect(result.outcome).toBe('success');
    const first = model.mainRequests()[0]!.json as { messages: { role: string; content: unknown }[] };
    const userTexts = first.messages
      .filter((m) => m.role === 'user')
      .flatMap((m) =>
        typeof m.content === 'string'
          ? [m.content]
          : (m.content as { text?: string }[]).map((b) => b.text ?? ''),
      );
    expect(userTexts).toContain(prompt);
    expect(existsSync(marker)).toBe(false);
  });
});
