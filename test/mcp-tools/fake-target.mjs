#!/usr/bin/env node
// A stand-in for a Turso checkout's commands (simulator, test suite, single test), driven by files
// under `.fake/` in the cwd, for testing how tools run and judge them without building Rust.
import { spawn } from 'node:child_process';
import { setInterval } from 'node:timers';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';

const [mode, ...args] = process.argv.slice(2);
mkdirSync('.fake', { recursive: true });
const has = (name) => existsSync(`.fake/${name}`);
const lines = (name) => (has(name) ? readFileSync(`.fake/${name}`, 'utf8').split('\n').filter(Boolean) : []);
appendFileSync('.fake/calls', `${JSON.stringify([mode, ...args])}\n`);

function hang() {
  // A grandchild too: a timeout must kill the whole group.
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  appendFileSync('.fake/hang-pids', `${process.pid}\n${child.pid}\n`);
  setInterval(() => process.stdout.write('still running\n'), 200);
}

if (mode === 'sim') {
  const seed = args[args.indexOf('--seed') + 1];
  if (has('compile-error')) {
    process.stderr.write(
      '   Compiling turso_core v0.1.0 (/repo/core)\nerror[E0425]: cannot find value `y` in this scope\n --> core/vdbe/execute.rs:3:20\n  |\nerror: could not compile `turso_core` (lib) due to 1 previous error\n',
    );
    process.exit(101);
  }
  if (has('hang')) hang();
  else if (lines('panic-seeds').includes(seed)) {
    const [file, line, column] = (lines('location')[0] ?? 'core/vdbe/execute.rs:100:5').split(':');
    const message = lines('message')[0] ?? 'assertion failed: cursor is valid';
    process.stdout.write(
      [
        ` INFO limbo_sim: 455: seed=${seed}`,
        'ERROR limbo_sim: 206: panic occurred',
        `ERROR limbo_sim: 210: ${message}`,
        'ERROR limbo_sim: 217: captured backtrace:',
        '   0: limbo_sim::run_simulator::{{closure}}',
        '             at ./simulator/main.rs:216:18',
        '   1: std::panicking::rust_panic_with_hook',
        '             at /rustc/17067e9ac6d7e98f18d4e4a1d0e8e5d2b8e8f5a1/library/std/src/panicking.rs:805:13',
        '   2: turso_core::vdbe::execute::op_column',
        `             at ${process.cwd()}/${file}:${line}:${column}`,
        `seed: ${seed}`,
        '',
      ].join('\n'),
    );
    process.stderr.write(`Error: failed with error: '${message}'\n`);
    process.exit(1);
  } else if (lines('property-seeds').includes(seed)) {
    process.stdout.write("ERROR limbo_sim: 185: simulation failed: 'Assertion [X] failed'\n");
    process.exit(1);
  } else {
    process.stdout.write(` INFO limbo_sim: 455: seed=${seed}\nsimulation succeeded\nseed: ${seed}\n`);
    process.exit(0);
  }
} else if (mode === 'test') {
  process.stdout.write('running the suite\n');
  process.exit(has('test-fails') ? 1 : 0);
} else if (mode === 'test-single') {
  process.stdout.write(`running ${args.join(' ')}\n`);
  process.exit(has('single-fails') ? 1 : 0);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
