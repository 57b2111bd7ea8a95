import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { toolsSettingsFromEnv } from './core.js';
import { createServer } from './server.js';

// stdout is the MCP channel: diagnostics go to stderr only.
async function main(): Promise<void> {
  let settings;
  try {
    settings = toolsSettingsFromEnv(process.env);
  } catch (error) {
    process.stderr.write(`panic-fix MCP tools: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const server = createServer(settings);
  await server.connect(new StdioServerTransport());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `panic-fix MCP tools failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
