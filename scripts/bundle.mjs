// Bundles every entry point with ncc into a committed dist/ (CI rebuilds and diffs it).
// The native libSQL client is left external: bundles use the pure-JS web client for libsql:// and
// https://, and load the native one for file: URLs from the checkout's node_modules (local mode).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

const entries = [
  ...['preflight', 'reproduce', 'fix', 'ship'].map((a) => [`actions/${a}/src/main.ts`, `actions/${a}/dist`]),
  ['packages/mcp-tools/src/main.ts', 'packages/mcp-tools/dist'],
];
const only = process.argv.slice(2);

for (const [entry, out] of entries) {
  if (only.length && !only.some((o) => entry.includes(o))) continue;
  if (!existsSync(path.join(root, entry))) {
    console.log(`skip ${entry} (not written yet)`);
    continue;
  }
  rmSync(path.join(root, out), { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      ncc,
      'build',
      entry,
      '-o',
      out,
      '--target',
      'es2022',
      '--no-source-map-register',
      '-e',
      '@libsql/client',
      '--quiet',
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  console.log(`bundled ${entry} -> ${out} (${readdirSync(path.join(root, out)).join(', ')})`);
}
