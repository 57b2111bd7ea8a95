import { tmpdir } from 'node:os';

import { runCommand } from '../util/run-command.js';

export interface OracleOptions {
  /** The sqlite3 executable; `sqlite3` from PATH by default. */
  sqlite3Path?: string;
  timeoutMs: number;
}

export type OracleResult = { available: true; output: string } | { available: false; reason: string };

const MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * Normalises program output the way the TCL harness sees it: Tcl's `exec` reads pipes with `-translation
 * auto` (CRLF and lone CR become LF) and drops one trailing newline.
 */
export function normaliseHarnessOutput(raw: string): string {
  return raw.replace(/\r\n?/g, '\n').replace(/\n$/, '');
}

/**
 * Expected output from the real sqlite3 (Turso's CI checks its tests against sqlite3 too): SQL on stdin
 * against `:memory:`, list mode, `-bail`, and `-init /dev/null` so a `~/.sqliterc` cannot change the
 * output format. Any failure — not installed, SQL error, stderr output (which makes the harness's `exec`
 * fail), timeout — means no oracle, with the reason.
 */
export async function oracleExpected(sql: string, options: OracleOptions): Promise<OracleResult> {
  const program = options.sqlite3Path ?? 'sqlite3';
  const result = await runCommand({
    argv: [program, '-init', '/dev/null', '-batch', '-bail', '-list', ':memory:'],
    cwd: tmpdir(),
    stdin: sql,
    timeoutMs: options.timeoutMs,
    killGraceMs: 1_000,
    tailBytes: MAX_OUTPUT,
  });
  if (result.spawnError)
    return { available: false, reason: `sqlite3 could not be started: ${result.spawnError}` };
  if (result.timedOut) return { available: false, reason: `sqlite3 timed out after ${options.timeoutMs} ms` };
  if (result.totalBytes > MAX_OUTPUT) {
    return { available: false, reason: `sqlite3 printed more than ${MAX_OUTPUT} bytes` };
  }
  const stderr = result.stderrTail.trim();
  if (result.exitCode !== 0 || result.signal !== null) {
    const how = result.signal ? `signal ${result.signal}` : `exit ${result.exitCode}`;
    return { available: false, reason: `sqlite3 rejected the SQL (${how}): ${stderr || '(no message)'}` };
  }
  if (stderr.length > 0) return { available: false, reason: `sqlite3 wrote to stderr: ${stderr}` };
  return { available: true, output: normaliseHarnessOutput(result.stdoutTail) };
}
