import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext } from '../context.js';
import { validateFix, type Seed, type ValidationResult } from '../core.js';
import { guarded, toolResult } from '../result.js';
import { seedInput } from '../schemas.js';

export const VALIDATE_FIX = 'validate-fix';

export const validateFixShape = {
  failing_seed: seedInput.describe('The seed that reproduced the panic before the fix (u64).'),
};

/** snake_case for agents; commands keep argv, exit and a bounded tail. */
export function validationReport(result: ValidationResult) {
  return {
    passed: result.passed,
    ...(result.failedStep ? { failed_step: result.failedStep } : {}),
    ...(result.failedSeed ? { failed_seed: result.failedSeed } : {}),
    failed_seeds: result.failedSeeds,
    skipped_steps: result.skippedSteps,
    seeds: result.seeds,
    steps: result.steps.map((step) => ({
      step: step.step,
      passed: step.passed,
      summary: step.summary,
      ...(step.command
        ? {
            argv: step.command.argv,
            exit: step.command.exit,
            exit_code: step.command.exitCode,
            duration_ms: step.command.durationMs,
            output_file: step.command.outputFile,
            output_tail: step.command.tail,
          }
        : {}),
      ...(step.seeds
        ? {
            seeds: step.seeds.map((seed) => ({
              seed: seed.seed,
              passed: seed.passed,
              kind: seed.kind,
              panic_found: seed.panicFound,
              ...(seed.location ? { location: seed.location } : {}),
              ...(seed.message === undefined ? {} : { message: seed.message }),
              exit: seed.exit,
              exit_code: seed.exitCode,
              output_file: seed.outputFile,
              ...(seed.passed ? {} : { output_tail: seed.tail }),
            })),
          }
        : {}),
    })),
    clock: result.clock,
    ...(result.clockErrors.length ? { clock_errors: result.clockErrors } : {}),
  };
}

export async function validateFixTool(
  ctx: ToolContext,
  args: { failing_seed: Seed },
): Promise<CallToolResult> {
  return guarded(async () => {
    const { settings } = ctx;
    const result = await validateFix({
      exec: ctx.exec,
      target: settings.target,
      regressionTest: settings.regressionTest,
      failingSeed: args.failing_seed,
      outputDir: await ctx.outputDir(),
      targetLocation: settings.panicLocation,
      repoDir: settings.repoDir,
      ...(ctx.clock ? { clock: ctx.clock } : {}),
    });
    const report = validationReport(result);
    const failed = result.steps.find((step) => !step.passed);
    const summary = result.passed
      ? `Fix validated: regression test, test suite and ${result.seeds.length} simulator seed(s) passed.`
      : `Fix NOT validated: ${failed?.summary ?? result.failedStep}. Skipped: ${result.skippedSteps.join(', ') || 'nothing'}.`;
    return toolResult(summary, report, !result.passed);
  });
}

export function registerValidateFix(server: McpServer, ctx: ToolContext): void {
  const { target, regressionTest } = ctx.settings;
  server.registerTool(
    VALIDATE_FIX,
    {
      title: 'Validate the fix',
      description:
        `Fast step: the panic's regression test (${regressionTest}) alone. Slow steps: the full test suite, then ` +
        `the simulator with the failing seed and ${target.validationSeeds} other seeds in parallel. Stops at the ` +
        'first failing step and reports which step and seed failed, with output tails.',
      inputSchema: validateFixShape,
    },
    (args) => validateFixTool(ctx, args),
  );
}
