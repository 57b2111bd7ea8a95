// The core modules this server uses, imported one by one rather than through the core index so the
// bundle carries neither the libSQL store (a native dependency) nor anything else it does not run.
export { MCP_SERVER_NAME } from '../../core/src/agent/mcp-config.js';
export { createClockClient, type ClockClient } from '../../core/src/clock/client.js';
export { mergePanicContext, seedSchema, type PanicContext, type Seed } from '../../core/src/context-file.js';
export { parseLocation } from '../../core/src/panic-output/location.js';
export {
  combineClockStates,
  runSimulatorSeed,
  validateFix,
  type ClockState,
  type SimExec,
  type SimulatorSeedResult,
  type ValidationResult,
} from '../../core/src/sim/index.js';
export { toolsSettingsFromEnv, type ToolsSettings } from '../../core/src/tools-env.js';
export { runCommand } from '../../core/src/util/run-command.js';
