import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ToolContext } from '../context.js';
import { runSimulatorSeed, type Seed, type SimulatorSeedResult } from '../core.js';
import { guarded, toolResult } from '../result.js';
import { seedInput } from '../schemas.js';

export const RUN_SIMULATOR = 'run-simulator';

function inputShape(maxTimeoutSeconds: number) {
  return {
    seed: seedInput
      .optional()
      .describe('Simulator seed (u64). Omitted: a random seed, reported in the result.'),
    timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(maxTimeoutSeconds)
      .optional()
      .describe(
        `Kill the run (with its children) after this many seconds; default and maximum ${maxTimeoutSeconds}.`,
      ),
  };
}

function randomSeed(): string {
  return randomBytes(8).readBigUInt64BE().toString();
}

/** What run-simulator returns (snake_case: it is read by agents). */
export function simulatorReport(result: SimulatorSeedResult, targetLocation: string) {
  return {
    seed: result.seed,
    panic_found: result.panicFound,
    matches_target: result.match?.matches ?? false,
    kind: result.kind,
    ...(result.location ? { location: result.location } : {}),
    ...(result.message === undefined ? {} : { message: result.message }),
    target_location: targetLocation,
    ...(result.match?.matches ? { column_differs: result.match.columnDiffers } : {}),
    ...(result.match?.lineDrift !== undefined && !result.match.matches
      ? { line_drift: result.match.lineDrift }
      : {}),
    exit: result.exit,
    exit_code: result.exitCode,
    signal: result.signal,
    timed_out: result.timedOut,
    duration_ms: result.durationMs,
    output_file: result.outputFile,
    output_bytes: result.totalBytes,
    output_tail: result.tail,
    clock: result.clock,
    ...(result.clockError ? { clock_error: result.clockError } : {}),
  };
}

function summarise(report: ReturnType<typeof simulatorReport>, failed: boolean): string {
  const seed = `seed ${report.seed}`;
  if (report.kind === 'compile_error')
    return `Simulator did not build (${seed}): ${report.message ?? report.exit}.`;
  if (report.timed_out) return `Simulator timed out (${seed}) and was killed: ${report.exit}.`;
  if (failed) return `Simulator could not run (${seed}): ${report.exit}.`;
  if (report.matches_target) {
    return `Target panic reproduced with ${seed} at ${report.location}${report.column_differs ? ' (different column)' : ''}.`;
  }
  if (report.panic_found) {
    const drift = report.line_drift === undefined ? '' : ` (${report.line_drift} lines from the target)`;
    return `A different panic with ${seed}: at ${report.location ?? 'an unknown location'}${drift}, target ${report.target_location}.`;
  }
  if (report.kind === 'none') return `No panic with ${seed}: the simulation passed.`;
  return `No panic with ${seed}: ${report.kind} (${report.exit}).`;
}

export async function runSimulatorTool(
  ctx: ToolContext,
  args: { seed?: Seed | undefined; timeout_seconds?: number | undefined },
): Promise<CallToolResult> {
  return guarded(async () => {
    const { settings } = ctx;
    const seed = args.seed === undefined ? randomSeed() : String(args.seed);
    const timeoutMs = Math.min(
      (args.timeout_seconds ?? Number.POSITIVE_INFINITY) * 1000,
      settings.target.simulatorTimeoutMs,
    );
    const outputDir = await ctx.outputDir();
    const outputFile = path.join(outputDir, `simulator-seed-${seed}-${Date.now()}.log`);
    const result = await runSimulatorSeed({
      exec: ctx.exec,
      target: settings.target,
      seed,
      outputFile,
      timeoutMs,
      targetLocation: settings.panicLocation,
      repoDir: settings.repoDir,
      ...(ctx.clock ? { clock: ctx.clock } : {}),
    });
    const report = simulatorReport(result, settings.panicLocation);
    // It ran and said something about the seed, or it never really ran: only the latter is a tool error.
    const failed = Boolean(result.spawnError) || result.timedOut || result.kind === 'compile_error';
    if (!failed) {
      ctx.seedsRun.set(seed, {
        matchesTarget: report.matches_target,
        ...(report.location ? { location: report.location } : {}),
      });
    }
    return toolResult(summarise(report, failed), report, failed);
  });
}

export function registerRunSimulator(server: McpServer, ctx: ToolContext): void {
  const maxTimeoutSeconds = Math.max(1, Math.floor(ctx.settings.target.simulatorTimeoutMs / 1000));
  server.registerTool(
    RUN_SIMULATOR,
    {
      title: 'Run the simulator',
      description:
        "Runs the target's simulator once with a seed (building it first if needed) and reports whether it " +
        `panicked, where, and whether that is the target panic (${ctx.settings.panicLocation}: same file and line). ` +
        'Full output goes to output_file; only its tail is returned.',
      inputSchema: inputShape(maxTimeoutSeconds),
    },
    (args) => runSimulatorTool(ctx, args),
  );
}
