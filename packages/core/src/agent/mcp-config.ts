import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic-write.js';

/** The one MCP server the agent gets: the panic-fix tools. */
export const MCP_SERVER_NAME = 'panic-fix';

export const mcpServerSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Settings for the tools (panic, repo, clock URL/token …); the agent's own env never carries them. */
    env: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type McpServerSpec = z.input<typeof mcpServerSchema>;

export function mcpConfigJson(spec: McpServerSpec): string {
  const server = mcpServerSchema.parse(spec);
  return `${JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: { type: 'stdio', ...server } } }, null, 2)}\n`;
}

export async function writeMcpConfig(file: string, spec: McpServerSpec): Promise<void> {
  // 0600: the env may hold the clock token.
  await writeFileAtomic(file, mcpConfigJson(spec), 0o600);
}
