import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext } from '../context.js';
import { mergePanicContext } from '../core.js';
import { guarded, toolResult } from '../result.js';
import { textInput } from '../schemas.js';

export const DESCRIBE_FIX = 'describe-fix';

export const describeFixShape = {
  bug_description: textInput('What the bug is: the root cause of the panic.'),
  fix_description: textInput('How the fix addresses it.'),
};

export async function describeFixTool(
  ctx: ToolContext,
  args: { bug_description: string; fix_description: string },
): Promise<CallToolResult> {
  return guarded(async () => {
    await mergePanicContext(ctx.settings.contextFile, {
      bug_description: args.bug_description,
      fix_description: args.fix_description,
    });
    return toolResult('Recorded the bug and fix descriptions in the panic context.', {
      recorded: true,
      context_file: ctx.settings.contextFile,
    });
  });
}

export function registerDescribeFix(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    DESCRIBE_FIX,
    {
      title: 'Describe the fix',
      description: 'Records the bug and the fix (used in the pull request). Text is stored exactly as given.',
      inputSchema: describeFixShape,
    },
    (args) => describeFixTool(ctx, args),
  );
}
