import { SERVER_NAME } from './server.js';
import { DESCRIBE_FIX } from './tools/describe-fix.js';
import { DESCRIBE_SIM_FIX } from './tools/describe-sim-fix.js';
import { RUN_SIMULATOR } from './tools/run-simulator.js';
import { VALIDATE_FIX } from './tools/validate-fix.js';

export { createServer, SERVER_NAME, SERVER_VERSION } from './server.js';
export { createToolContext, type ToolContext, type ToolContextOptions } from './context.js';
export { RUN_SIMULATOR, runSimulatorTool, simulatorReport } from './tools/run-simulator.js';
export { DESCRIBE_SIM_FIX, describeSimFixTool } from './tools/describe-sim-fix.js';
export { DESCRIBE_FIX, describeFixTool } from './tools/describe-fix.js';
export { VALIDATE_FIX, validateFixTool, validationReport } from './tools/validate-fix.js';
/** The MCP tool names as Claude Code exposes them (`mcp__<server>__<tool>`). */
export const MCP_TOOL_NAMES = [RUN_SIMULATOR, DESCRIBE_SIM_FIX, DESCRIBE_FIX, VALIDATE_FIX].map(
  (tool) => `mcp__${SERVER_NAME}__${tool}`,
);
