import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { targetSchema } from '../../packages/core/src/config/schema.js';
import type { PanicContext } from '../../packages/core/src/context-file.js';
import { toolsEnv, type ToolsSettings } from '../../packages/core/src/tools-env.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE = path.join(REPO_ROOT, 'packages', 'mcp-tools', 'dist', 'index.js');
export const FAKE_TARGET = path.join(REPO_ROOT, 'test', 'mcp-tools', 'fake-target.mjs');

/** Tests run the committed bundle (CI rebuilds and diffs it); build it only when absent. */
export function ensureBundle(): string {
  if (!existsSync(BUNDLE)) {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'bundle.mjs'), 'mcp-tools'], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
  }
  return BUNDLE;
}

export const fakeTarget = (overrides: Record<string, unknown> = {}) =>
  targetSchema.parse({
    simulatorCommand: [process.execPath, FAKE_TARGET, 'sim', '--seed', '{seed}'],
    testCommand: [process.execPath, FAKE_TARGET, 'test'],
    singleTestCommand: [process.execPath, FAKE_TARGET, 'test-single', 'TEST={test}'],
    validationSeeds: 3,
    ...overrides,
  });

export const PANIC_LOCATION = 'core/vdbe/execute.rs:100:5';

export function baseContext(overrides: Partial<PanicContext> = {}): PanicContext {
  return {
    panic_location: PANIC_LOCATION,
    panic_message: "assertion failed: cursor isn't valid",
    sql_statements: "CREATE TABLE t(a);\nINSERT INTO t VALUES('it''s');",
    regression_test: 'testing/panic_core_vdbe_execute_rs_100.test',
    base_commit: '0123456789abcdef',
    ...overrides,
  };
}

export interface Workspace {
  dir: string;
  repo: string;
  outputDir: string;
  contextFile: string;
  settings: ToolsSettings;
}

/** A repo dir driving the fake target, a context file, and the settings the action would pass. */
export async function makeWorkspace(overrides: Partial<ToolsSettings> = {}): Promise<Workspace> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-tools-'));
  const repo = path.join(dir, 'repo');
  await mkdir(path.join(repo, '.fake'), { recursive: true });
  const contextFile = path.join(dir, 'panic_context.json');
  await writeFile(contextFile, `${JSON.stringify(baseContext(), null, 2)}\n`);
  const outputDir = path.join(dir, 'out');
  const settings: ToolsSettings = {
    panicLocation: PANIC_LOCATION,
    panicMessage: "assertion failed: cursor isn't valid",
    repoDir: repo,
    contextFile,
    outputDir,
    regressionTest: 'testing/panic_core_vdbe_execute_rs_100.test',
    target: fakeTarget(),
    ...overrides,
  };
  return { dir, repo, outputDir, contextFile, settings };
}

export async function fake(ws: Workspace, name: string, content = ''): Promise<void> {
  await writeFile(path.join(ws.repo, '.fake', name), content);
}

/** The real SDK client over stdio against the built server. */
export async function connect(
  settings: ToolsSettings,
  extraEnv: Record<string, string> = {},
): Promise<{ client: Client; close: () => Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [ensureBundle()],
    cwd: settings.repoDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...extraEnv, ...toolsEnv(settings) },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'panic-fix-tests', version: '0.0.0' });
  await client.connect(transport);
  return { client, close: () => client.close() };
}

export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, {
    timeout: 110_000,
  })) as CallToolResult;
}

export function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}
