import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { panicJob, type PanicJob } from '../pipeline/job.js';
import type { Reporter } from '../pipeline/reporter.js';
import type { PanicStore } from '../store/panic-store.js';
import { runOwner, runUrl } from './context.js';

/** Where sandboxes and hand-off files live: the configured dir, else the runner's temp dir. */
export function workDirFor(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  return config.sandbox.workDir ?? path.join(env.RUNNER_TEMP ?? os.tmpdir(), 'panic-fix');
}

/** The panic-fix checkout an action runs from: `<home>/actions/<name>/dist/index.js` (or src/main.ts). */
export function homeDirFromAction(actionFileUrl: string): string {
  return path.resolve(path.dirname(fileURLToPath(actionFileUrl)), '..', '..', '..');
}

export function actionPanicJob(args: {
  config: Config;
  store: PanicStore;
  reporter: Reporter;
  location: string;
  artifactDir: string;
  homeDir: string;
  env?: NodeJS.ProcessEnv;
}): PanicJob {
  const env = args.env ?? process.env;
  const url = runUrl(env);
  return panicJob({
    config: args.config,
    store: args.store,
    reporter: args.reporter,
    owner: runOwner(env),
    location: args.location,
    workDir: workDirFor(args.config, env),
    artifactDir: path.resolve(args.artifactDir),
    homeDir: args.homeDir,
    ...(url ? { runUrl: url } : {}),
  });
}
