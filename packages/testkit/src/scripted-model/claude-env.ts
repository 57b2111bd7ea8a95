import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** The Claude Code CLI installed in the workspace (pinned in package.json). */
export const CLAUDE_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'claude');

/**
 * Environment that points the real CLI at a scripted model: a dummy key, a private HOME, no
 * telemetry or update checks, no retries (each retry would consume a script turn), and IS_SANDBOX
 * so `--dangerously-skip-permissions` is accepted as root. MCP_CONNECTION_NONBLOCKING=0 makes the CLI
 * wait for MCP servers before the first turn (by default it connects them in the background, and a
 * scripted first turn calling an MCP tool would get "still connecting").
 */
export function claudeEnvFor(modelUrl: string, home: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: modelUrl,
    ANTHROPIC_API_KEY: 'sk-test-scripted',
    HOME: home,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    DISABLE_AUTOUPDATER: '1',
    IS_SANDBOX: '1',
    MCP_CONNECTION_NONBLOCKING: '0',
  };
}

/** `claudeEnvFor` with named options: `{ baseUrl, home }`. */
export function claudeEnv(options: { baseUrl: string; home: string }): Record<string, string> {
  return claudeEnvFor(options.baseUrl, options.home);
}

/**
 * The same for the pipeline's agents, which run the target's cargo and rustup from the real HOME:
 * Claude Code keeps its state in `configDir` (CLAUDE_CONFIG_DIR) instead of a private HOME.
 */
export function scriptedAgentEnv(
  modelUrl: string,
  configDir: string,
  apiKey = 'sk-test-scripted',
): Record<string, string> {
  const { HOME: _home, ...env } = claudeEnvFor(modelUrl, configDir);
  return { ...env, ANTHROPIC_API_KEY: apiKey, CLAUDE_CONFIG_DIR: configDir };
}
