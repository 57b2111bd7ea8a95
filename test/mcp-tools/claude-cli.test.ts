import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { toolsEnv } from '../../packages/core/src/tools-env.js';
import { CLAUDE_BIN, claudeEnv } from '../../packages/testkit/src/scripted-model/claude-env.js';
import { startScriptedModel, type ScriptedModel } from '../../packages/testkit/src/scripted-model/server.js';
import { text, toolUse } from '../../packages/testkit/src/scripted-model/turns.js';
import { ensureBundle, fake, makeWorkspace } from './helpers.js';

let model: ScriptedModel | undefined;
afterAll(async () => {
  await model?.close();
});

interface StreamEvent {
  type: string;
  subtype?: string;
  tools?: string[];
  mcp_servers?: { name: string; status: string }[];
  message?: { content?: unknown };
  result?: string;
}

interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  is_error?: boolean;
  content: string | { type: string; text?: string }[];
}

/** Runs the CLI with stdin closed (it waits for piped stdin otherwise); rejects on a non-zero exit. */
function runClaude(args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLAUDE_BIN, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`claude exited with ${code ?? signal}\n${err}\n${out.slice(-4000)}`));
    });
  });
}

const flatten = (content: ToolResultBlock['content']) =>
  typeof content === 'string' ? content : content.map((c) => c.text ?? '').join('\n');

it('the real Claude Code CLI calls every panic-fix tool over --mcp-config and gets their results', async () => {
  const ws = await makeWorkspace();
  await fake(ws, 'panic-seeds', '42\n');
  const home = path.join(ws.dir, 'home');
  await mkdir(home, { recursive: true });
  const mcpConfig = path.join(ws.dir, 'mcp.json');
  await writeFile(
    mcpConfig,
    JSON.stringify({
      mcpServers: {
        'panic-fix': {
          type: 'stdio',
          command: process.execPath,
          args: [ensureBundle()],
          env: { PATH: process.env.PATH ?? '', ...toolsEnv(ws.settings) },
        },
      },
    }),
  );
  const tool = (name: string) => `mcp__panic-fix__${name}`;
  model = await startScriptedModel({
    script: [
      toolUse(tool('run-simulator'), { seed: 42 }, { id: 'toolu_run' }),
      toolUse(tool('run-simulator'), { seed: -1 }, { id: 'toolu_badseed' }),
      toolUse(
        tool('describe-sim-fix'),
        {
          failing_seed: 42,
          why_simulator_missed: "it's never\ngenerated",
          what_was_added: 'a "partial" INSERT',
        },
        { id: 'toolu_simfix' },
      ),
      toolUse(tool('validate-fix'), { failing_seed: 42 }, { id: 'toolu_validate_before' }),
      () => {
        // The "fix": seed 42 stops panicking.
        rmSync(path.join(ws.repo, '.fake', 'panic-seeds'));
        return toolUse(tool('validate-fix'), { failing_seed: 42 }, { id: 'toolu_validate_after' });
      },
      toolUse(
        tool('describe-fix'),
        { bug_description: 'arity', fix_description: 'pad with NULLs' },
        { id: 'toolu_fix' },
      ),
      text('All four tools ran.'),
    ],
  });

  const stdout = await runClaude(
    [
      '-p',
      'Reproduce and fix the panic.',
      '--output-format',
      'stream-json',
      '--verbose',
      '--dangerously-skip-permissions',
      '--strict-mcp-config',
      '--mcp-config',
      mcpConfig,
    ],
    { cwd: ws.repo, env: { PATH: process.env.PATH ?? '', ...claudeEnv({ baseUrl: model.url, home }) } },
  );
  const events = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StreamEvent);

  const init = events.find((e) => e.type === 'system' && e.subtype === 'init');
  expect(init?.mcp_servers).toContainEqual({ name: 'panic-fix', status: 'connected' });
  for (const name of ['run-simulator', 'describe-sim-fix', 'describe-fix', 'validate-fix']) {
    expect(init?.tools).toContain(tool(name));
  }

  const results = new Map<string, ToolResultBlock>();
  for (const event of events.filter((e) => e.type === 'user')) {
    const content = event.message?.content;
    if (!Array.isArray(content)) continue;
    for (const block of content as ToolResultBlock[]) {
      if (block.type === 'tool_result') results.set(block.tool_use_id, block);
    }
  }
  const resultText = (id: string) => flatten(results.get(id)!.content);

  expect(results.get('toolu_run')?.is_error).toBeFalsy();
  expect(resultText('toolu_run')).toContain(
    'Target panic reproduced with seed 42 at core/vdbe/execute.rs:100:5',
  );
  expect(resultText('toolu_run')).toMatch(/"matches_target": ?true/);

  expect(results.get('toolu_badseed')?.is_error).toBe(true);

  expect(results.get('toolu_simfix')?.is_error).toBeFalsy();
  expect(resultText('toolu_simfix')).toContain('run-simulator reproduced the target panic with seed 42');

  expect(results.get('toolu_validate_before')?.is_error).toBe(true);
  expect(resultText('toolu_validate_before')).toContain('Fix NOT validated: failing_seed: seed 42 failed');
  expect(results.get('toolu_validate_after')?.is_error).toBeFalsy();
  expect(resultText('toolu_validate_after')).toContain('Fix validated');

  expect(results.get('toolu_fix')?.is_error).toBeFalsy();

  const context = JSON.parse(await readFile(ws.contextFile, 'utf8')) as Record<string, unknown>;
  expect(context).toMatchObject({
    failing_seed: 42,
    why_simulator_missed: "it's never\ngenerated",
    simulator_changes: 'a "partial" INSERT',
    bug_description: 'arity',
    fix_description: 'pad with NULLs',
  });
  expect(events.find((e) => e.type === 'result')).toMatchObject({
    subtype: 'success',
    result: 'All four tools ran.',
  });
});
