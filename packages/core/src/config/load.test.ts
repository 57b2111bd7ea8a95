import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig, redactUrl } from './load.js';

async function propertiesFile(content: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cfg-'));
  const file = path.join(dir, 'properties.json');
  await writeFile(file, content);
  return file;
}

describe('loadConfig', () => {
  it('applies the seed defaults to a minimal file', async () => {
    const config = await loadConfig({ file: await propertiesFile('{"tursoUrl":"file:x.db"}'), env: {} });
    expect(config).toMatchObject({
      tursoUrl: 'file:x.db',
      baseRepoPath: '/opt/turso-base',
      maxParallelPanics: 2,
      reproducerTimeoutMs: 3_600_000,
      fixerTimeoutMs: 3_600_000,
      githubRepo: 'tursodatabase/turso',
      prLabels: [],
      ipcPort: 9100,
      dryRun: false,
    });
    expect(config.target.simulatorCommand).toEqual([
      'cargo',
      'run',
      '-p',
      'limbo_sim',
      '--',
      '--seed',
      '{seed}',
    ]);
  });

  it('accepts the seed README example verbatim', async () => {
    const seedExample = {
      tursoUrl: 'libsql://your-database.turso.io',
      baseRepoPath: '/path/to/turso-repo',
      maxParallelPanics: 2,
      reproducerTimeoutMs: 3600000,
      fixerTimeoutMs: 3600000,
      githubToken: 'ghp_...',
      githubRepo: 'tursodatabase/turso',
      prReviewer: '@username',
      prLabels: ['automated', 'panic-fix'],
      ipcPort: 9100,
      dryRun: false,
    };
    const config = await loadConfig({ file: await propertiesFile(JSON.stringify(seedExample)), env: {} });
    expect(config.prLabels).toEqual(['automated', 'panic-fix']);
  });

  it('lets the environment override the file (Actions secrets)', async () => {
    const file = await propertiesFile('{"tursoUrl":"file:x.db","maxParallelPanics":2}');
    const config = await loadConfig({
      file,
      env: {
        TURSO_URL: 'libsql://db.example',
        TURSO_AUTH_TOKEN: 'tok',
        GITHUB_TOKEN: 'gh',
        PANIC_FIX_MAX_PARALLEL_PANICS: '5',
        PANIC_FIX_DRY_RUN: 'true',
      },
    });
    expect(config).toMatchObject({
      tursoUrl: 'libsql://db.example',
      tursoAuthToken: 'tok',
      githubToken: 'gh',
      maxParallelPanics: 5,
      dryRun: true,
    });
  });

  it('works from the environment alone when the file is absent', async () => {
    const config = await loadConfig({
      file: '/nonexistent/properties.json',
      env: { TURSO_URL: 'file:y.db' },
    });
    expect(config.tursoUrl).toBe('file:y.db');
  });

  it('names the field and the problem, without echoing secret values', async () => {
    const secret = 'ghp_CANARY_1234567890';
    const file = await propertiesFile(
      JSON.stringify({
        tursoUrl: 'file:x.db',
        githubToken: secret,
        maxParallelPanics: 0,
        prLabels: 'x',
        extra: secret,
      }),
    );
    const error = (await loadConfig({ file, env: {} }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/maxParallelPanics/);
    expect(error.message).toMatch(/prLabels/);
    expect(error.message).toMatch(/extra/);
    expect(error.message).not.toContain(secret);
  });

  it('reports a missing tursoUrl as required', async () => {
    await expect(loadConfig({ file: await propertiesFile('{}'), env: {} })).rejects.toThrow(
      /tursoUrl: is required/,
    );
  });

  it('reports broken JSON by position only (the text may hold a token)', async () => {
    const file = await propertiesFile('{"githubToken": "ghp_SECRET_VALUE", oops}');
    const error = (await loadConfig({ file, env: {} }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.message).not.toContain('ghp_SECRET_VALUE');
  });

  it('rejects a bad env value with the variable name', async () => {
    await expect(
      loadConfig({ env: { TURSO_URL: 'file:x', PANIC_FIX_MAX_PARALLEL_PANICS: 'many' } }),
    ).rejects.toThrow(/PANIC_FIX_MAX_PARALLEL_PANICS must be a whole number/);
  });

  it('redacts secrets and URL credentials', async () => {
    const config = await loadConfig({
      env: {
        TURSO_URL: 'libsql://u:p@db.example/?authToken=abc',
        TURSO_AUTH_TOKEN: 'tok',
        GITHUB_TOKEN: 'gh',
      },
    });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toMatch(/"tok"|"gh"|abc|:p@/);
    expect(redactUrl('file:local.db')).toBe('file:local.db');
  });
});
