/**
 * The agent's environment is built from an allow-list: the runner's own environment holds the GitHub
 * token, the libSQL credentials and the pipeline's settings, none of which the agent (or anything it
 * runs) may see.
 */
const ALLOWED_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TERM',
  'TMPDIR',
  'TMP',
  'TEMP',
  // Rust toolchain.
  'CARGO_HOME',
  'RUSTUP_HOME',
  'RUSTUP_TOOLCHAIN',
  'CARGO_TARGET_DIR',
  'CARGO_TERM_COLOR',
  'CARGO_INCREMENTAL',
  'RUST_BACKTRACE',
  'RUSTFLAGS',
  // TLS and proxies, needed to reach the model API from some runners.
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  // Claude Code's own switches.
  'DISABLE_AUTOUPDATER',
  'DISABLE_TELEMETRY',
  'DISABLE_ERROR_REPORTING',
  'IS_SANDBOX',
  'MCP_TIMEOUT',
  'MCP_TOOL_TIMEOUT',
]);

/** Model access and Claude Code settings (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, CLAUDE_CODE_OAUTH_TOKEN …). */
const ALLOWED_PREFIXES = ['ANTHROPIC_', 'CLAUDE_CODE_', 'CLAUDE_CONFIG_DIR'];

/** Never passed, whatever the allow-list or the caller's extras say. */
const DENIED = [/^GITHUB_TOKEN$/, /^GH_TOKEN$/, /^TURSO_/, /^PANIC_FIX_/, /^ACTIONS_/, /^INPUT_/, /TOKEN$/];

/** Model credentials are tokens by design; they are the only *TOKEN names allowed. */
const MODEL_TOKENS = new Set(['ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN']);

export function isDeniedEnvName(name: string): boolean {
  if (MODEL_TOKENS.has(name)) return false;
  return DENIED.some((pattern) => pattern.test(name));
}

/** Model credentials are the agent's alone; the target's own commands never need them. */
const MODEL_CREDENTIALS = /^(ANTHROPIC_API_KEY|ANTHROPIC_AUTH_TOKEN|CLAUDE_CODE_OAUTH_TOKEN)$/;

/**
 * The environment of everything the pipeline itself runs inside a sandbox (the target's build, tests
 * and simulator; our git during export): the runner's, minus what no sandboxed process may see (the
 * agents' deny-list) and minus the model credentials. Code the agent left in the sandbox (a git
 * filter, a build script) runs with it.
 */
export function targetEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !isDeniedEnvName(name) && !MODEL_CREDENTIALS.test(name)),
  );
}

export function isAllowedEnvName(name: string): boolean {
  if (isDeniedEnvName(name)) return false;
  return ALLOWED_NAMES.has(name) || ALLOWED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * `source` filtered through the allow-list, then `extra` (the caller's own settings, e.g. a temp HOME)
 * minus denied names, then the flags an unattended sandboxed run needs.
 */
export function buildAgentEnv(
  source: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && isAllowedEnvName(name)) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (!isDeniedEnvName(name)) env[name] = value;
  }
  // --dangerously-skip-permissions refuses to run as root unless told it is sandboxed.
  env.IS_SANDBOX = '1';
  env.DISABLE_AUTOUPDATER = '1';
  // Claude Code 2.1 connects MCP servers in the background by default, so a fast first turn finds
  // no panic-fix tools ("still connecting"); headless runs must wait for them.
  env.MCP_CONNECTION_NONBLOCKING = '0';
  return env;
}
