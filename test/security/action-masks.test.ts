// The preflight action as the runner starts it (node on the bundled dist, and the source the bundle is
// built from), with canary credentials: every secret is registered with `::add-mask::` before anything
// else is printed, and no canary appears on any other line, even when the database cannot be reached
// (the error names the URL).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './corpus.js';

const hex = randomBytes(6).toString('hex');
const CANARIES = {
  tursoAuthToken: `canary-turso-token-${hex}`,
  githubToken: `ghp_canaryGithub${hex}`,
  urlPassword: `canary-url-password-${hex}`,
  urlAuthToken: `canary-url-authtoken-${hex}`,
};

let dir: string;
let closedPort: number;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pf-masks-'));
  // A port nothing listens on: bind, note, close.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await writeFile(
    path.join(dir, 'properties.json'),
    JSON.stringify({ baseRepoPath: dir, githubRepo: 'example/turso-target', dryRun: true }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runPreflight(argv: string[]) {
  const outputFile = path.join(dir, `output-${randomBytes(4).toString('hex')}`);
  const summaryFile = path.join(dir, `summary-${randomBytes(4).toString('hex')}`);
  const result = spawnSync(process.execPath, argv, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 90_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      GITHUB_WORKSPACE: dir,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_RUN_ID: '42',
      INPUT_CONFIG: 'properties.json',
      TURSO_URL: `libsql://panic-fix:${CANARIES.urlPassword}@127.0.0.1:${closedPort}?authToken=${CANARIES.urlAuthToken}&tls=0`,
      TURSO_AUTH_TOKEN: CANARIES.tursoAuthToken,
      GITHUB_TOKEN: CANARIES.githubToken,
    },
  });
  return { ...result, outputFile, summaryFile };
}

async function expectMasked(run: ReturnType<typeof runPreflight>, names: (keyof typeof CANARIES)[]) {
  expect(run.error).toBeUndefined();
  // It fails (the database is unreachable), clearly.
  expect(run.status, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toMatch(/^::error::.*cannot reach the database at libsql:\/\/\*\*\*@127\.0\.0\.1/m);
  const lines = run.stdout.split('\n');
  const firstOther = lines.findIndex((l) => l !== '' && !l.startsWith('::add-mask::'));
  for (const name of names) {
    const maskLine = lines.indexOf(`::add-mask::${CANARIES[name]}`);
    expect(maskLine, `${name} masked`).toBeGreaterThanOrEqual(0);
    // Registered before anything else is printed.
    expect(maskLine, `${name} masked first`).toBeLessThan(firstOther);
  }
  const others = [
    ...lines.filter((l) => !l.startsWith('::add-mask::')),
    run.stderr,
    await readFile(run.outputFile, 'utf8').catch(() => ''),
    await readFile(run.summaryFile, 'utf8').catch(() => ''),
  ].join('\n');
  for (const name of names) expect(others.includes(CANARIES[name]), `${name} printed`).toBe(false);
}

describe('the preflight action masks every credential', () => {
  // The committed bundle is rebuilt from source by `npm run build` (CI diffs it).
  it('as bundled (actions/preflight/dist), including the credentials inside the database URL', async () => {
    const run = runPreflight([path.join(REPO_ROOT, 'actions', 'preflight', 'dist', 'index.js')]);
    await expectMasked(run, ['tursoAuthToken', 'githubToken', 'urlPassword', 'urlAuthToken']);
  });

  it('from source, including the credentials inside the database URL', async () => {
    const tsx = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const run = runPreflight([
      '--import',
      tsx,
      path.join(REPO_ROOT, 'actions', 'preflight', 'src', 'main.ts'),
    ]);
    await expectMasked(run, ['tursoAuthToken', 'githubToken', 'urlPassword', 'urlAuthToken']);
  });
});
