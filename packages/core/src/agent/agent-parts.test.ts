import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAgentEnv } from './env.js';
import { mcpConfigJson, writeMcpConfig } from './mcp-config.js';
import { claudeArgs, classify } from './run-agent.js';
import { LineSplitter, parseStreamLine, summariseEvent } from './stream-json.js';
import { TranscriptWriter } from './transcript.js';

describe('buildAgentEnv', () => {
  it('passes the allow-list and model access, never secrets, even when a caller adds them', () => {
    const env = buildAgentEnv(
      {
        PATH: '/usr/bin',
        HOME: '/root',
        CARGO_HOME: '/cargo',
        ANTHROPIC_API_KEY: 'model-key',
        CLAUDE_CODE_OAUTH_TOKEN: 'oauth',
        GITHUB_TOKEN: 'canary',
        GH_TOKEN: 'canary',
        TURSO_AUTH_TOKEN: 'canary',
        TURSO_URL: 'canary',
        PANIC_FIX_CLOCK_TOKEN: 'canary',
        ACTIONS_RUNTIME_TOKEN: 'canary',
        NPM_TOKEN: 'canary',
        RANDOM_VAR: 'canary',
      },
      { HOME: '/tmp/home', GITHUB_TOKEN: 'canary', MY_SETTING: 'x' },
    );
    expect(Object.values(env)).not.toContain('canary');
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/tmp/home',
      CARGO_HOME: '/cargo',
      ANTHROPIC_API_KEY: 'model-key',
      CLAUDE_CODE_OAUTH_TOKEN: 'oauth',
      MY_SETTING: 'x',
      IS_SANDBOX: '1',
      DISABLE_AUTOUPDATER: '1',
      MCP_CONNECTION_NONBLOCKING: '0',
    });
  });
});

describe('claude invocation', () => {
  it('builds the headless, sandbox-permission argv with only our MCP server', () => {
    expect(claudeArgs({ mcpConfigFile: '/w/mcp.json', maxTurns: 7, model: 'opus', bare: true })).toEqual([
      '--print',
      '--output-format',
      'stream-json',
      '--verbose',
      '--dangerously-skip-permissions',
      '--max-turns',
      '7',
      '--mcp-config',
      '/w/mcp.json',
      '--strict-mcp-config',
      '--model',
      'opus',
      '--bare',
    ]);
  });

  it('writes an MCP config naming only panic-fix, private to the runner', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-config-'));
    try {
      const file = path.join(dir, 'mcp.json');
      await writeMcpConfig(file, {
        command: 'node',
        args: ['tools.js'],
        env: { PANIC_FIX_CLOCK_TOKEN: 't' },
      });
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
        mcpServers: {
          'panic-fix': {
            type: 'stdio',
            command: 'node',
            args: ['tools.js'],
            env: { PANIC_FIX_CLOCK_TOKEN: 't' },
          },
        },
      });
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(() => mcpConfigJson({ command: '' })).toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('classify', () => {
  const base = { budgetExceeded: false, spawnError: undefined, exitCode: 0, signal: null };
  it('calls only a successful result event success, never a bare exit code', () => {
    expect(classify({ ...base, resultEvent: { type: 'result', subtype: 'success' } }).outcome).toBe(
      'success',
    );
    expect(classify({ ...base, resultEvent: undefined }).outcome).toBe('no_result');
    // Claude Code reports API failures as subtype "success" with is_error: true.
    expect(
      classify({
        ...base,
        resultEvent: { type: 'result', subtype: 'success', is_error: true, result: 'API Error' },
      }).outcome,
    ).toBe('agent_error');
    expect(classify({ ...base, resultEvent: { type: 'result', subtype: 'error_max_turns' } }).outcome).toBe(
      'agent_error',
    );
    expect(
      classify({ ...base, resultEvent: undefined, budgetExceeded: true, signal: 'SIGTERM' }).outcome,
    ).toBe('budget_exceeded');
    expect(classify({ ...base, resultEvent: undefined, exitCode: 1 }).outcome).toBe('crashed');
    expect(classify({ ...base, resultEvent: undefined, exitCode: null, signal: 'SIGKILL' }).outcome).toBe(
      'crashed',
    );
    expect(
      classify({ ...base, resultEvent: undefined, exitCode: null, spawnError: 'program not found' }).outcome,
    ).toBe('crashed');
  });
});

describe('stream-json handling', () => {
  it('splits chunks into whole lines and summarises events', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('{"type":"a"}\n{"ty');
    splitter.push('pe":"b"}\n\n{"type":"c"}');
    splitter.flush();
    expect(lines).toEqual(['{"type":"a"}', '{"type":"b"}', '{"type":"c"}']);
    expect(parseStreamLine('not json')).toBeUndefined();
    expect(parseStreamLine('{"no_type":1}')).toBeUndefined();
    const toolUse = parseStreamLine(
      JSON.stringify({
        type: 'assistant',
        message: { content: [{ type: 'tool_use', name: 'Edit', input: { file_path: 'core/x.rs' } }] },
      }),
    )!;
    expect(summariseEvent(toolUse)).toEqual(['tool Edit {"file_path":"core/x.rs"}']);
    expect(summariseEvent({ type: 'result', subtype: 'success', num_turns: 3, total_cost_usd: 0.5 })).toEqual(
      ['result success after 3 turns cost $0.5000'],
    );
  });

  it('caps the transcript with one marker and still keeps the result line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'transcript-'));
    try {
      const writer = new TranscriptWriter(path.join(dir, 't.jsonl'), 100);
      writer.line(JSON.stringify({ type: 'a', text: 'x'.repeat(40) }));
      writer.line(JSON.stringify({ type: 'b', text: 'y'.repeat(80) }));
      writer.line(JSON.stringify({ type: 'c' }));
      writer.line(JSON.stringify({ type: 'result', subtype: 'success' }), true);
      expect(writer.isTruncated).toBe(true);
      expect(await writer.close()).toEqual({ droppedLines: 2 });
      const types = (await readFile(path.join(dir, 't.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { type: string }).type);
      expect(types).toEqual(['a', 'panic_fix_transcript_truncated', 'result']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
