import { text } from 'node:stream/consumers';
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: () => text(process.stdin),
  env: process.env,
  cwd: process.cwd(),
});
