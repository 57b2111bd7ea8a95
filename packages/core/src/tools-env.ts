import { z } from 'zod';
import { targetSchema, type TargetConfig } from './config/schema.js';
import { CLOCK_TOKEN_ENV, CLOCK_URL_ENV } from './clock/protocol.js';
import { zodIssues } from './util/json-file.js';

/**
 * What the MCP tools server learns from the action (through the `env` of the generated MCP config),
 * never from the agent: which panic, which repo, where the context file and outputs go.
 */
export const TOOLS_ENV = {
  panicLocation: 'PANIC_FIX_PANIC_LOCATION',
  panicMessage: 'PANIC_FIX_PANIC_MESSAGE',
  repoDir: 'PANIC_FIX_REPO_DIR',
  contextFile: 'PANIC_FIX_CONTEXT_FILE',
  outputDir: 'PANIC_FIX_OUTPUT_DIR',
  regressionTest: 'PANIC_FIX_REGRESSION_TEST',
  target: 'PANIC_FIX_TARGET',
  clockUrl: CLOCK_URL_ENV,
  clockToken: CLOCK_TOKEN_ENV,
} as const;

export const toolsSettingsSchema = z.object({
  panicLocation: z.string().min(1),
  panicMessage: z.string(),
  /** Absolute path of the sandbox's repository (what the agent sees as its cwd). */
  repoDir: z.string().min(1),
  /** Absolute path of the JSON context file the describe-* tools merge into. */
  contextFile: z.string().min(1),
  /** Absolute directory for full tool outputs (kept out of the exported patch). */
  outputDir: z.string().min(1),
  /** Repo-relative path of the generated regression test. */
  regressionTest: z.string().min(1),
  target: targetSchema,
  clock: z.object({ url: z.string().url(), token: z.string().min(16) }).optional(),
});
export type ToolsSettings = z.infer<typeof toolsSettingsSchema>;

export function toolsEnv(settings: ToolsSettings): Record<string, string> {
  const env: Record<string, string> = {
    [TOOLS_ENV.panicLocation]: settings.panicLocation,
    [TOOLS_ENV.panicMessage]: settings.panicMessage,
    [TOOLS_ENV.repoDir]: settings.repoDir,
    [TOOLS_ENV.contextFile]: settings.contextFile,
    [TOOLS_ENV.outputDir]: settings.outputDir,
    [TOOLS_ENV.regressionTest]: settings.regressionTest,
    [TOOLS_ENV.target]: JSON.stringify(settings.target),
  };
  if (settings.clock) {
    env[TOOLS_ENV.clockUrl] = settings.clock.url;
    env[TOOLS_ENV.clockToken] = settings.clock.token;
  }
  return env;
}

export function toolsSettingsFromEnv(env: NodeJS.ProcessEnv): ToolsSettings {
  const read = (name: string) => env[name];
  let target: unknown;
  try {
    target = JSON.parse(read(TOOLS_ENV.target) ?? '{}');
  } catch {
    throw new Error(`${TOOLS_ENV.target} is not valid JSON`);
  }
  const clockUrl = read(TOOLS_ENV.clockUrl);
  const clockToken = read(TOOLS_ENV.clockToken);
  const parsed = toolsSettingsSchema.safeParse({
    panicLocation: read(TOOLS_ENV.panicLocation),
    panicMessage: read(TOOLS_ENV.panicMessage) ?? '',
    repoDir: read(TOOLS_ENV.repoDir),
    contextFile: read(TOOLS_ENV.contextFile),
    outputDir: read(TOOLS_ENV.outputDir),
    regressionTest: read(TOOLS_ENV.regressionTest),
    target,
    clock: clockUrl && clockToken ? { url: clockUrl, token: clockToken } : undefined,
  });
  if (!parsed.success)
    throw new Error(`panic-fix tools environment is incomplete: ${zodIssues(parsed.error)}`);
  return parsed.data;
}

export type { TargetConfig };
