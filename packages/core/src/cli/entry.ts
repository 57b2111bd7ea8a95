import { buffer } from 'node:stream/consumers';
import { decodeUtf8, runCli } from './main.js';
import { Shutdown } from './run-local.js';

// `panic-fix status | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const shutdown = new Shutdown();
let signals = 0;
let firstAt = 0;
/**
 * One Ctrl-C can arrive several times: the terminal signals the whole process group, and wrappers
 * (npm, tsx) forward it too. Copies within this window count as one, so a drain stays a drain.
 */
const SAME_SIGNAL_MS = 250;
// Only `run` is long-lived; every other command keeps the default signal behaviour.
for (const name of process.argv[2] === 'run' ? (['SIGINT', 'SIGTERM'] as const) : []) {
  process.on(name, () => {
    if (signals === 1 && Date.now() - firstAt < SAME_SIGNAL_MS) return;
    if (signals === 0) firstAt = Date.now();
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
