import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext } from '../context.js';
import { mergePanicContext, type Seed } from '../core.js';
import { guarded, toolResult } from '../result.js';
import { seedInput, textInput } from '../schemas.js';

export const DESCRIBE_SIM_FIX = 'describe-sim-fix';

export const describeSimFixShape = {
  failing_seed: seedInput.describe(
    'The seed with which the extended simulator reproduces the target panic (u64).',
  ),
  why_simulator_missed: textInput('Why the simulator could not find this panic before your changes.'),
  what_was_added: textInput('What you added or changed in the simulator so that it reaches the panic.'),
};

export async function describeSimFixTool(
  ctx: ToolContext,
  args: { failing_seed: Seed; why_simulator_missed: string; what_was_added: string },
): Promise<CallToolResult> {
  return guarded(async () => {
    await mergePanicContext(ctx.settings.contextFile, {
      failing_seed: args.failing_seed,
      why_simulator_missed: args.why_simulator_missed,
      simulator_changes: args.what_was_added,
    });
    const seed = String(args.failing_seed);
    const run = ctx.seedsRun.get(seed);
    // Recorded, but say plainly when this server never saw the seed hit the target.
    const seedCheck = run ? (run.matchesTarget ? 'reproduced_target' : 'different_outcome') : 'not_run_here';
    const note =
      seedCheck === 'reproduced_target'
        ? `run-simulator reproduced the target panic with seed ${seed}.`
        : seedCheck === 'different_outcome'
          ? `Warning: run-simulator with seed ${seed} did not hit ${ctx.settings.panicLocation} (got ${run?.location ?? 'no panic'}).`
          : `Note: seed ${seed} was not run with run-simulator in this session; make sure it reproduces ${ctx.settings.panicLocation}.`;
    return toolResult(`Recorded the simulator change in the panic context. ${note}`, {
      recorded: true,
      context_file: ctx.settings.contextFile,
      failing_seed: seed,
      seed_check: seedCheck,
    });
  });
}

export function registerDescribeSimFix(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    DESCRIBE_SIM_FIX,
    {
      title: 'Describe the simulator change',
      description:
        'Records, once the simulator reproduces the target panic, the failing seed, why the simulator missed the ' +
        'panic and what was added. Text is stored exactly as given.',
      inputSchema: describeSimFixShape,
    },
    (args) => describeSimFixTool(ctx, args),
  );
}
