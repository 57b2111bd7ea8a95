import * as core from '@actions/core';
import path from 'node:path';
import { z } from 'zod';
import { loadConfig, secretValues } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Reporter } from '../pipeline/reporter.js';
import { PanicStore } from '../store/panic-store.js';
import { settleRemovals } from '../sandbox/remove-tree.js';
import { actionReporter } from './reporter.js';
import { zodIssues } from '../util/json-file.js';

/** Who holds claims for this workflow run: the same in every job of a run, and across re-runs of it. */
export function runOwner(env: NodeJS.ProcessEnv = process.env): string {
  const runId = env.GITHUB_RUN_ID;
  return runId ? `gh-run-${runId}` : `local-${process.pid}`;
}

export function runUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = env;
  return server && repo && id ? `${server}/${repo}/actions/runs/${id}` : undefined;
}

const boolInput = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(['', 'true', 'false']))
  .transform((s) => (s === '' ? undefined : s === 'true'));

/** Reads and validates an action's inputs with zod; a bad input fails the step with its name. */
export function readInputs<S extends z.ZodRawShape>(shape: S): z.infer<z.ZodObject<S>> {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(shape)) raw[name] = core.getInput(name);
  const parsed = z.object(shape).safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid action input: ${zodIssues(parsed.error)}`);
  }
  return parsed.data;
}

export const inputs = {
  config: z.string().default('properties.json'),
  location: z.string().min(1, 'panic-location is required'),
  optionalLocation: z.string(),
  dir: z.string().min(1),
  bool: boolInput,
};

/** properties.json (relative to the workspace) + environment; masks every secret before anything prints. */
export async function loadActionConfig(
  configPath: string,
  reporter: Reporter,
  overrides: Partial<Record<keyof Config, unknown>> = {},
): Promise<Config> {
  const file = path.resolve(process.env.GITHUB_WORKSPACE ?? process.cwd(), configPath);
  for (const name of ['TURSO_AUTH_TOKEN', 'GITHUB_TOKEN', 'ANTHROPIC_API_KEY']) {
    const value = process.env[name];
    if (value) reporter.mask(value);
  }
  const config = await loadConfig({ file, overrides });
  for (const secret of secretValues(config)) reporter.mask(secret);
  return config;
}

/** Runs an action body; any error fails the step with a clear message (never a stack of secrets). */
export async function runAction(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  } finally {
    await core.summary.write().catch(() => undefined);
  }
}

export interface StoreActionContext<S extends z.ZodRawShape> {
  reporter: Reporter;
  input: z.infer<z.ZodObject<S & { config: typeof inputs.config; 'dry-run': typeof inputs.bool }>>;
  config: Config;
  store: PanicStore;
}

/**
 * The frame every action that touches the state store shares: the `config` and `dry-run` inputs plus
 * `extra`, the config (secrets masked), and a store that is closed however the body ends.
 */
export function runStoreAction<S extends z.ZodRawShape>(
  extra: S,
  fn: (ctx: StoreActionContext<S>) => Promise<void>,
): Promise<void> {
  return runAction(async () => {
    const reporter = actionReporter();
    const input = readInputs({ config: inputs.config, ...extra, 'dry-run': inputs.bool });
    // zod cannot see through the generic spread; these two are the shared inputs read just above.
    const common = input as unknown as { config: string; 'dry-run': boolean | undefined };
    const config = await loadActionConfig(common.config, reporter, { dryRun: common['dry-run'] });
    const store = await PanicStore.open(config.tursoUrl, config.tursoAuthToken);
    try {
      await fn({ reporter, input, config, store });
    } finally {
      store.close();
      // Destroyed sandboxes are deleted in the background.
      await settleRemovals((message) => reporter.log('warn', message));
    }
  });
}
