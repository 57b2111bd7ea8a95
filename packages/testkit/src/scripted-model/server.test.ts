import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CLAUDE_BIN, claudeEnv } from './claude-env.js';
import { startScriptedModel, type ScriptedModel } from './server.js';
import { crash, delayed, stall, text, toolUse } from './turns.js';

const run = promisify(execFile);
let model: ScriptedModel | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
});

function post(url: string, body: unknown, path = '/v1/messages') {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const TOOLS = [{ name: 'Read', input_schema: { type: 'object' } }];

describe('scripted model over HTTP', () => {
  it('streams a tool_use turn as SSE with input_json_delta and a tool_use stop reason', async () => {
    model = await startScriptedModel({ script: [toolUse('Read', { file_path: '/x "quoted"' })] });
    const res = await post(model.url, {
      stream: true,
      tools: TOOLS,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const body = await res.text();
    const events = [...body.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe('message_start');
    expect(events).toContain('content_block_start');
    expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    const json = [...body.matchAll(/"partial_json":("(?:[^"\\]|\\.)*")/g)].map(
      (m) => JSON.parse(m[1]!) as string,
    );
    expect(JSON.parse(json.join(''))).toEqual({ file_path: '/x "quoted"' });
    expect(body).toContain('"stop_reason":"tool_use"');
  });

  it('answers side requests, token counts and probes without consuming turns', async () => {
    model = await startScriptedModel({ script: [text('first'), text('second')], sideText: 'A title' });
    const side = await post(model.url, { model: 'claude-haiku', max_tokens: 1, messages: [] });
    expect(JSON.stringify(await side.json())).toContain('A title');
    const count = await post(model.url, { messages: [] }, '/v1/messages/count_tokens');
    expect(((await count.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect((await fetch(model.url, { method: 'HEAD' })).status).toBe(200);
    const main = await post(model.url, { tools: TOOLS, messages: [{ role: 'user', content: 'go' }] });
    expect(JSON.stringify(await main.json())).toContain('first');
    expect(model.mainRequests()).toHaveLength(1);
    expect(model.requests.map((r) => r.kind)).toEqual(['side', 'count_tokens', 'probe', 'main']);
  });

  it('lets a turn read the previous tool_result', async () => {
    model = await startScriptedModel({
      script: [(ctx) => text(`saw ${ctx.toolResults.map((r) => `${r.toolUseId}=${r.text}`).join(',')}`)],
    });
    const messages = [
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'ok' }] }],
      },
    ];
    const res = await post(model.url, { tools: TOOLS, messages });
    expect(JSON.stringify(await res.json())).toContain('saw t1=ok');
  });

  it('drops the connection mid-stream on crash, and close() ends stalled and delayed requests', async () => {
    model = await startScriptedModel({ script: [crash('partial'), stall(), delayed(60_000, text('late'))] });
    const crashed = await post(model.url, { stream: true, tools: TOOLS, messages: [] });
    await expect(crashed.text()).rejects.toThrow();
    const stalled = post(model.url, { stream: true, tools: TOOLS, messages: [] }).then(
      () => 'answered',
      () => 'dropped',
    );
    const late = post(model.url, { stream: true, tools: TOOLS, messages: [] }).then(
      () => 'answered',
      () => 'dropped',
    );
    await model.waitForMainRequests(3, 10_000);
    await model.close();
    model = undefined;
    expect(await stalled).toBe('dropped');
    expect(await late).toBe('dropped');
  });
});

describe('scripted model driving the real Claude Code CLI', () => {
  it('runs Read, Edit and a final answer built from the tool result', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'scripted-model-'));
    try {
      const repo = path.join(dir, 'repo');
      const home = path.join(dir, 'home');
      await run('mkdir', ['-p', repo, home]);
      const file = path.join(repo, 'a.txt');
      await writeFile(file, 'hello world\n');
      model = await startScriptedModel({
        script: [
          toolUse('Read', { file_path: file }),
          toolUse('Edit', { file_path: file, old_string: 'hello', new_string: 'goodbye' }),
          (ctx) => text(`edit said: ${ctx.toolResults[0]?.text ?? 'nothing'}`),
        ],
      });
      const pending = run(
        CLAUDE_BIN,
        ['-p', 'edit it', '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions'],
        { cwd: repo, env: { PATH: process.env.PATH ?? '', ...claudeEnv({ baseUrl: model.url, home }) } },
      );
      // An open stdin makes the CLI wait 3 s for piped input.
      pending.child.stdin?.end();
      const { stdout } = await pending;
      expect(await readFile(file, 'utf8')).toBe('goodbye world\n');
      const result = stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { type: string; subtype?: string; result?: string })
        .find((event) => event.type === 'result');
      expect(result?.subtype).toBe('success');
      expect(result?.result).toContain('has been updated successfully');
      expect(model.mainRequests()).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
