import { mkdir } from 'node:fs/promises';
import { createClockClient, runCommand, type ClockClient, type SimExec, type ToolsSettings } from './core.js';

/** What every tool handler gets: the action's settings, how to run commands, the budget clock. */
export interface ToolContext {
  settings: ToolsSettings;
  exec: SimExec;
  clock?: ClockClient;
  /** Seeds run by run-simulator in this server process, and whether each hit the target panic. */
  seedsRun: Map<string, { matchesTarget: boolean; location?: string }>;
  /** Creates the output directory on first use. */
  outputDir(): Promise<string>;
}

/** Simulator output worth parsing is at the end; the full output is always in the file. */
const TAIL_BYTES = 256 * 1024;

export interface ToolContextOptions {
  exec?: SimExec;
  clock?: ClockClient;
  /** Aborting it stops every running command (process group killed): the server is shutting down. */
  signal?: AbortSignal;
}

export function createToolContext(settings: ToolsSettings, overrides: ToolContextOptions = {}): ToolContext {
  const exec: SimExec = (argv, opts) =>
    runCommand({
      argv,
      cwd: settings.repoDir,
      timeoutMs: opts.timeoutMs,
      outputFile: opts.outputFile,
      tailBytes: TAIL_BYTES,
      killGraceMs: 5_000,
      ...(overrides.signal ? { signal: overrides.signal } : {}),
      ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
    });
  const clock = overrides.clock ?? (settings.clock ? createClockClient(settings.clock) : undefined);
  let made: Promise<string> | undefined;
  const context: ToolContext = {
    settings,
    exec: overrides.exec ?? exec,
    ...(clock ? { clock } : {}),
    seedsRun: new Map(),
    outputDir: () => (made ??= mkdir(settings.outputDir, { recursive: true }).then(() => settings.outputDir)),
  };
  return context;
}
