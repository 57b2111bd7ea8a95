import { buffer } from 'node:stream/consumers';
import { decodeUtf8, runCli } from './main.js';
import { Shutdown } from './run-local.js';

const shutdown = new Shutdown();
let signals = 0;
// Only `run` is long-lived; every other command keeps the default signal behaviour.
for (const name of process.argv[2] === 'run' ? (['SIGINT', 'SIGTERM'] as const) : []) {
  process.on(name, () => {
    signals++;
    if (signals === 1) {
      process.stderr.write(
        `panic-fix: ${name}: finishing the current phase, then releasing claims (send again to stop now)\n`,
      );
      shutdown.drain();
    } else {
      process.stderr.write(`panic-fix: ${name} again: stopping agents and releasing claims\n`);
      shutdown.kill();
    }
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: async () => decodeUtf8(await buffer(process.stdin), 'standard input'),
  env: process.env,
  cwd: process.cwd(),
  shutdown,
});
