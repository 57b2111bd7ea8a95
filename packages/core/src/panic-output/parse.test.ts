import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPanicOutputParser, matchTarget, parsePanicOutput, type ExitStatus } from './index.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

function fixture(name: string, exit: ExitStatus, repoDir?: string) {
  const read = (ext: string) => {
    const file = path.join(FIXTURES, `${name}.${ext}`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  return parsePanicOutput({
    stdout: read('stdout'),
    stderr: read('stderr'),
    ...exit,
    ...(repoDir ? { repoDir } : {}),
  });
}

const EXIT_101: ExitStatus = { exitCode: 101, signal: null };
const EXIT_1: ExitStatus = { exitCode: 1, signal: null };

describe('parsePanicOutput: plain Rust panics', () => {
  it.each([
    ['turso-3667', 'core/vdbe/builder.rs', 813, 32, 'Cursor not found: CursorKey {'],
    ['turso-5226', 'core/translate/insert.rs', 1573, 38, 'called `Option::unwrap()` on a `None` value'],
    ['turso-5810', 'core/translate/pragma.rs', 505, 34, 'internal error: entered unreachable code'],
    ['turso-6006', 'core/storage/btree.rs', 1890, 18, 'indexbtree_seek: index_info required'],
    ['windows-485', 'core/translate/emitter.rs', 186, 51, 'called `Result::unwrap()` on an `Err` value'],
  ])('%s', (name, file, line, column, message) => {
    const result = fixture(name, EXIT_101);
    expect(result).toMatchObject({ kind: 'panic', panicked: true, form: 'rust-panic', thread: 'main' });
    expect(result.location).toEqual({ file, line, column });
    expect(result.message?.startsWith(message)).toBe(true);
    expect(result.message).not.toContain('RUST_BACKTRACE');
  });

  it('keeps multi-line assertion messages and thread names', () => {
    const result = fixture('unnamed-multiline', EXIT_101);
    expect(result.thread).toBe('<unnamed>');
    expect(result.message).toBe(
      'assertion `left == right` failed: row version mismatch\n  left: 3\n right: 4',
    );
    expect(result.location).toEqual({ file: 'core/mvcc/database/mod.rs', line: 1204, column: 13 });
  });

  it('reads the first panic when a worker thread panics before main (Rust 1.95 thread ids)', () => {
    const result = fixture('rust-1.95-tokio-worker', EXIT_101);
    expect(result.thread).toBe('tokio-runtime-worker');
    expect(result.location).toEqual({ file: 'p.rs', line: 9, column: 125 });
  });

  it('parses the pre-1.73 one-line and multi-line forms', () => {
    const single = fixture('legacy-single', EXIT_101);
    expect(single).toMatchObject({ kind: 'panic', form: 'rust-panic-legacy' });
    expect(single.location).toEqual({ file: 'core/vdbe/mod.rs', line: 522, column: 17 });
    expect(single.message).toBe('index out of bounds: the len is 3 but the index is 7');
    const multi = fixture('legacy-multiline', EXIT_101);
    expect(multi.location).toEqual({ file: 'core/storage/pager.rs', line: 77, column: 9 });
    expect(multi.message).toBe(
      'assertion failed: `(left == right)`\n  left: `Some(1)`,\n right: `None`: cursor state',
    );
  });

  it('reports SIGABRT / exit 134 as an abort that keeps the printed panic', () => {
    const result = fixture('rust-1.95-abort', { exitCode: null, signal: 'SIGABRT' });
    expect(result).toMatchObject({ kind: 'abort', panicked: true });
    expect(result.location).toEqual({ file: 'p.rs', line: 2, column: 36 });
    const bare = parsePanicOutput({
      stdout: '',
      stderr: 'fatal runtime error: stack overflow\n',
      exitCode: 134,
      signal: null,
    });
    expect(bare).toMatchObject({
      kind: 'abort',
      panicked: false,
      message: 'fatal runtime error: stack overflow',
    });
  });
});

describe("parsePanicOutput: Turso's simulator", () => {
  it('takes the message after "panic occurred" and the location from the first repo frame', () => {
    const result = fixture('sim-hook-2241', EXIT_1);
    expect(result).toMatchObject({
      kind: 'panic',
      panicked: true,
      form: 'simulator-hook',
      locationSource: 'backtrace',
    });
    expect(result.message).toBe('balancing child page with overflowed parent not yet implemented');
    expect(result.location).toEqual({ file: 'core/storage/btree.rs', line: 2415, column: 17 });
  });

  it('strips ANSI colours and tracing prefixes', () => {
    const result = fixture('sim-ansi', EXIT_1);
    expect(result.message).toBe('assertion `left == right` failed: page count\n  left: 12\n right: 13');
    expect(result.location).toEqual({ file: 'core/storage/pager.rs', line: 1311, column: 13 });
  });

  it('strips the absolute checkout prefix of a release build that aborted', () => {
    const result = fixture(
      'sim-release-abort',
      { exitCode: 134, signal: null },
      '/home/runner/work/turso/turso',
    );
    expect(result).toMatchObject({ kind: 'abort', panicked: true, form: 'simulator-hook' });
    expect(result.location?.file).toBe('core/translate/insert.rs');
  });

  it('reports property and integrity failures without a panic', () => {
    const property = fixture('sim-property', EXIT_1);
    expect(property).toMatchObject({ kind: 'property_failure', panicked: false, form: 'simulation-failed' });
    expect(property.message).toContain('inserted rows should be selected');
    const integrity = fixture('sim-integrity', EXIT_1);
    expect(integrity).toMatchObject({ kind: 'property_failure', form: 'integrity-check' });
    expect(integrity.message).toContain('Page 5: never used');
  });

  it('sees nothing in a successful run, and a panic even when the exit code is 0 (loop without -s)', () => {
    expect(fixture('sim-success', { exitCode: 0, signal: null })).toMatchObject({
      kind: 'none',
      panicked: false,
    });
    expect(fixture('sim-hook-2241', { exitCode: 0, signal: null })).toMatchObject({
      kind: 'panic',
      panicked: true,
    });
  });
});

describe('parsePanicOutput: not panics', () => {
  it('reports compile errors as such, with the first diagnostic location', () => {
    const result = fixture('cargo-compile-error', EXIT_101);
    expect(result).toMatchObject({ kind: 'compile_error', panicked: false, form: 'rustc' });
    expect(result.message).toBe('cannot find value `y` in this scope');
    expect(result.location).toEqual({ file: 'src/main.rs', line: 3, column: 20 });
  });

  it('reports a cargo error before the run (missing package) as a compile error', () => {
    expect(fixture('cargo-missing-package', EXIT_101)).toMatchObject({
      kind: 'compile_error',
      form: 'cargo',
    });
  });

  it('reports a timeout, keeping a panic printed before it', () => {
    expect(
      parsePanicOutput({
        stdout: 'working\n',
        stderr: '',
        exitCode: null,
        signal: 'SIGTERM',
        timedOut: true,
      }),
    ).toMatchObject({
      kind: 'timeout',
      panicked: false,
    });
  });

  it('reports an unexplained failure as a crash', () => {
    expect(parsePanicOutput({ stdout: 'x\n', stderr: '', exitCode: 3, signal: null })).toMatchObject({
      kind: 'crash',
    });
  });

  it('stays bounded on megabytes of output and very long lines', () => {
    const noise = `${'x'.repeat(1 << 20)}\n`.repeat(4);
    const result = parsePanicOutput({
      stdout: noise,
      stderr: `${noise}thread 'main' panicked at core/a.rs:1:2:\nboom\n`,
      exitCode: 101,
      signal: null,
    });
    expect(result.location).toEqual({ file: 'core/a.rs', line: 1, column: 2 });
    expect(result.excerpt.length).toBeLessThan(10_000);
  });

  it('parses output split across arbitrary chunk boundaries the same as whole', () => {
    const text = readFileSync(path.join(FIXTURES, 'sim-hook-2241.stdout'));
    const parser = createPanicOutputParser();
    for (let i = 0; i < text.length; i += 7) parser.write('stdout', text.subarray(i, i + 7));
    const streamed = parser.finish(EXIT_1);
    expect(streamed.location).toEqual(fixture('sim-hook-2241', EXIT_1).location);
    expect(streamed.message).toBe('balancing child page with overflowed parent not yet implemented');
  });
});

describe('matchTarget', () => {
  const found = { panicked: true, location: { file: './core/storage/btree.rs', line: 2415, column: 17 } };

  it('matches the same file and line, normalising ./ and absolute repo prefixes', () => {
    expect(matchTarget(found, 'core/storage/btree.rs:2415:17')).toEqual({
      matches: true,
      columnDiffers: false,
      lineDrift: 0,
      nearby: false,
    });
    expect(
      matchTarget(
        { panicked: true, location: { file: '/repo/x/core/storage/btree.rs', line: 2415 } },
        'core/storage/btree.rs:2415:1',
        '/repo/x',
      ),
    ).toMatchObject({ matches: true, columnDiffers: false });
  });

  it('reports a different column separately, still a match', () => {
    expect(matchTarget(found, 'core/storage/btree.rs:2415:9')).toMatchObject({
      matches: true,
      columnDiffers: true,
    });
  });

  it('reports small line drift without matching', () => {
    expect(matchTarget(found, 'core/storage/btree.rs:2413:17')).toEqual({
      matches: false,
      columnDiffers: false,
      lineDrift: 2,
      nearby: true,
    });
    expect(matchTarget(found, 'core/storage/btree.rs:2000:17')).toMatchObject({
      matches: false,
      nearby: false,
      lineDrift: 415,
    });
  });

  it('never matches another file, a missing panic, or an unparsable target', () => {
    expect(matchTarget(found, 'core/storage/pager.rs:2415:17').matches).toBe(false);
    expect(
      matchTarget({ panicked: false, location: found.location }, 'core/storage/btree.rs:2415:17').matches,
    ).toBe(false);
    expect(matchTarget(undefined, 'core/storage/btree.rs:2415:17').matches).toBe(false);
    expect(matchTarget(found, 'not a location').matches).toBe(false);
  });
});
