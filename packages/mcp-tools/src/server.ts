import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createToolContext, type ToolContextOptions } from './context.js';
import { MCP_SERVER_NAME, type ToolsSettings } from './core.js';
import { registerDescribeFix } from './tools/describe-fix.js';
import { registerDescribeSimFix } from './tools/describe-sim-fix.js';
import { registerRunSimulator } from './tools/run-simulator.js';
import { registerValidateFix } from './tools/validate-fix.js';

/** The name the agent's MCP config registers the server under (tools become `mcp__<name>__<tool>`). */
export const SERVER_NAME = MCP_SERVER_NAME;
export const SERVER_VERSION = '0.1.0';

/** The agents' MCP server: everything about the panic comes from `settings` (the action), never the agent. */
export function createServer(settings: ToolsSettings, overrides: ToolContextOptions = {}): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION });
  const ctx = createToolContext(settings, overrides);
  registerRunSimulator(server, ctx);
  registerDescribeSimFix(server, ctx);
  registerDescribeFix(server, ctx);
  registerValidateFix(server, ctx);
  return server;
}
