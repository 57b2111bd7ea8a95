import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from './run-command.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'run-command-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Fixed scripts; arguments arrive as $1.. and are never part of the script text.
const PRINT_BOTH = 'printf "out-1\\n"; printf "err-1\\n" >&2; printf "out-2\\n"; exit "$1"';

describe('runCommand', () => {
  it('keeps stdout and stderr apart when nothing goes to a file', async () => {
    const result = await runCommand({ argv: ['sh', '-c', PRINT_BOTH, 'sh', '3'], cwd: dir });
    expect(result.exitCode).toBe(3);
    expect(result.stdoutTail).toBe('out-1\nout-2\n');
    expect(result.stderrTail).toBe('err-1\n');
    expect(result.totalBytes).toBe(18);
  });

  it('lets the program write straight into outputFile, interleaved, and reads the tail back', async () => {
    const outputFile = path.join(dir, 'out.log');
    const result = await runCommand({ argv: ['sh', '-c', PRINT_BOTH, 'sh', '0'], cwd: dir, outputFile });
    expect(result.exitCode).toBe(0);
    expect(await readFile(outputFile, 'utf8')).toBe('out-1\nerr-1\nout-2\n');
    expect(result.tail).toBe('out-1\nerr-1\nout-2\n');
    expect(result.stdoutTail).toBe(result.tail);
    expect(result.stderrTail).toBe('');
    expect(result.totalBytes).toBe(18);
    expect(result.outputFile).toBe(outputFile);
  });

  it('keeps only the last tailBytes of a large direct output but reports its full size', async () => {
    const outputFile = path.join(dir, 'big.log');
    const result = await runCommand({
      argv: ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done'],
      cwd: dir,
      outputFile,
      tailBytes: 20,
    });
    const full = await readFile(outputFile, 'utf8');
    expect(result.totalBytes).toBe(Buffer.byteLength(full));
    expect(result.tail).toBe(full.slice(-20));
    expect(result.tail.endsWith('line 1999\n')).toBe(true);
  });

  it('truncates an existing output file instead of appending to it', async () => {
    const outputFile = path.join(dir, 'again.log');
    await runCommand({ argv: ['sh', '-c', 'echo first run, longer'], cwd: dir, outputFile });
    await runCommand({ argv: ['sh', '-c', 'echo second'], cwd: dir, outputFile });
    expect(await readFile(outputFile, 'utf8')).toBe('second\n');
  });

  it('streams through this process when onOutput is given, still filling the file', async () => {
    const outputFile = path.join(dir, 'streamed.log');
    const seen: string[] = [];
    const result = await runCommand({
      argv: ['sh', '-c', PRINT_BOTH, 'sh', '0'],
      cwd: dir,
      outputFile,
      onOutput: (chunk, stream) => seen.push(`${stream}:${chunk.toString()}`),
    });
    expect(seen.join('')).toContain('stderr:err-1');
    expect(result.stderrTail).toBe('err-1\n');
    expect((await readFile(outputFile, 'utf8')).split('\n').sort()).toEqual(
      ['', 'err-1', 'out-1', 'out-2'].sort(),
    );
  });

  it('kills the whole process group on timeout in direct mode too', async () => {
    const outputFile = path.join(dir, 'slow.log');
    const started = Date.now();
    const result = await runCommand({
      argv: ['sh', '-c', 'echo started; sleep 30 & sleep 30; echo never'],
      cwd: dir,
      outputFile,
      timeoutMs: 300,
      killGraceMs: 200,
    });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.tail).toBe('started\n');
  });

  it('reports a program that cannot start, with the output file left empty', async () => {
    const outputFile = path.join(dir, 'missing.log');
    const result = await runCommand({ argv: ['/nonexistent/program'], cwd: dir, outputFile });
    expect(result.spawnError).toBe('program not found: /nonexistent/program');
    expect(result.exitCode).toBeNull();
    expect(await readFile(outputFile, 'utf8')).toBe('');
    expect(result.totalBytes).toBe(0);
  });

  it('passes stdin in direct mode', async () => {
    const outputFile = path.join(dir, 'stdin.log');
    const result = await runCommand({ argv: ['cat'], cwd: dir, outputFile, stdin: 'from stdin\n' });
    expect(result.tail).toBe('from stdin\n');
  });
});
