import { readFile } from 'node:fs/promises';
import { zodIssues } from '../util/json-file.js';
import { configSchema, SECRET_FIELDS, type Config } from './schema.js';

/** Environment variables that override `properties.json` (Actions secrets and vars arrive this way). */
export const ENV_OVERRIDES = {
  TURSO_URL: 'tursoUrl',
  TURSO_AUTH_TOKEN: 'tursoAuthToken',
  GITHUB_TOKEN: 'githubToken',
  PANIC_FIX_GITHUB_REPO: 'githubRepo',
  PANIC_FIX_BASE_REPO_PATH: 'baseRepoPath',
  PANIC_FIX_BASE_COMMIT: 'baseCommit',
  PANIC_FIX_MAX_PARALLEL_PANICS: 'maxParallelPanics',
  PANIC_FIX_DRY_RUN: 'dryRun',
  PANIC_FIX_PR_REVIEWER: 'prReviewer',
} as const satisfies Record<string, keyof Config>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function coerce(field: keyof Config, raw: string, envName: string): unknown {
  if (field === 'maxParallelPanics') {
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${envName} must be a whole number`);
    return Number(raw);
  }
  if (field === 'dryRun') {
    if (!/^(true|false|1|0)$/i.test(raw)) throw new ConfigError(`${envName} must be true or false`);
    return /^(true|1)$/i.test(raw);
  }
  return raw;
}

export interface LoadConfigOptions {
  /** Path of properties.json; a missing file is fine when the environment supplies tursoUrl. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Applied first, under the file and the environment (local mode's embedded database). */
  defaults?: Partial<Record<keyof Config, unknown>>;
  /** Applied last (CLI flags such as --db). */
  overrides?: Partial<Record<keyof Config, unknown>>;
}

/** Reads properties.json, applies env overrides, validates. Errors name the field, never a secret value. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  if (options.file) {
    let text: string | undefined;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConfigError(`cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code}`);
      }
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        // JSON.parse messages quote the input near the error, which could be a token: keep only the position.
        const where = /position \d+/.exec((error as Error).message)?.[0] ?? 'unknown position';
        throw new ConfigError(`${options.file} is not valid JSON (at ${where})`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new ConfigError(`${options.file} must hold a JSON object`);
      }
      fromFile = parsed as Record<string, unknown>;
    }
  }
  const merged: Record<string, unknown> = { ...options.defaults, ...fromFile };
  for (const [envName, field] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[envName];
    if (raw !== undefined && raw !== '') merged[field] = coerce(field, raw, envName);
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) merged[key] = value;
  }
  return parseConfig(merged, options.file ?? 'configuration');
}

export function parseConfig(input: unknown, source = 'configuration'): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    // zod messages for unrecognised keys or enums never echo values; others we phrase ourselves.
    throw new ConfigError(`invalid ${source}: ${zodIssues(result.error)}`);
  }
  return result.data;
}

/** The config with secrets replaced, safe to log or print. */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const field of SECRET_FIELDS) if (copy[field] !== undefined) copy[field] = '***';
  copy.tursoUrl = redactUrl(config.tursoUrl);
  return copy;
}

/** Strips credentials and query strings (which may carry authToken=…) from a URL. */
export function redactUrl(url: string): string {
  if (url.startsWith('file:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '***';
      parsed.password = '';
    }
    if (parsed.search) parsed.search = '?***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Every secret value present in the config, for masking and leak checks. */
export function secretValues(config: Config): string[] {
  return [...SECRET_FIELDS.map((f) => config[f]), ...urlSecrets(config.tursoUrl)].filter(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
}

/** Credentials a database URL may carry: its password and query parameters such as authToken. */
export function urlSecrets(url: string): string[] {
  if (url.startsWith('file:')) return [];
  try {
    const parsed = new URL(url);
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    // The user name is not secret (and masking a common word would blank it all over the log).
    const values = [parsed.password, decode(parsed.password)];
    for (const value of parsed.searchParams.values()) values.push(value);
    // Short values (`tls=0`) are not secrets and masking them would blank every "0" in the log.
    return [...new Set(values)].filter((v) => v.length >= 8);
  } catch {
    return [];
  }
}
