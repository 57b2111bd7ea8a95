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
  // Simulator runs live in their own process groups, so they would outlive this process: when the
  // client goes away (stdin ends) or stops us (SIGTERM/SIGINT), kill them first, then exit.
  const shutdown = new AbortController();
  const stop = () => {
    if (shutdown.signal.aborted) return;
    shutdown.abort();
    // Let runCommand's SIGTERM → SIGKILL escalation finish, but never hang on the way out.
    setTimeout(() => process.exit(0), 6_000).unref();
    void server.close().finally(() => undefined);
  };
  const server = createServer(settings, { signal: shutdown.signal });
  process.stdin.on('end', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await server.connect(new StdioServerTransport());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `panic-fix MCP tools failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
