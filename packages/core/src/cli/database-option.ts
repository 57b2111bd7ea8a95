import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { loadConfig as LoadConfig } from '../config/load.js';

export const DEFAULT_LOCAL_DB = 'file:.panic-fix/panic-fix.db';

/**
 * The CLI needs only the database: --db, then TURSO_URL / properties.json (through loadConfig, so a
 * broken file is reported), then the embedded local default.
 */
export async function resolveDatabase(opts: {
  flag?: string;
  configFile: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  load: typeof LoadConfig;
}): Promise<{ url: string; authToken?: string }> {
  let url = opts.flag;
  let authToken = opts.env.TURSO_AUTH_TOKEN || undefined;
  if (!url) {
    const config = await opts.load({
      file: path.resolve(opts.cwd, opts.configFile),
      env: opts.env,
      defaults: { tursoUrl: DEFAULT_LOCAL_DB },
    });
    url = config.tursoUrl;
    authToken = config.tursoAuthToken;
  }
  url = await localDatabaseUrl(url, opts.cwd);
  return { url, ...(authToken ? { authToken } : {}) };
}

/** A relative `file:` URL is resolved against cwd and its directory created; other URLs pass as they are. */
export async function localDatabaseUrl(url: string, cwd: string): Promise<string> {
  if (!url.startsWith('file:') || url.startsWith('file://')) return url;
  const local = path.resolve(cwd, url.slice('file:'.length));
  await mkdir(path.dirname(local), { recursive: true });
  return `file:${local}`;
}
