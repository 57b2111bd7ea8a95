import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registerTclTest, renderTclTest, tclExpectedForm } from './tcl.js';
import { tclWord } from './tcl-quote.js';

// A stand-in for Turso's tester.tcl that records, byte for byte, what the generated file hands the proc.
// Channels use the system encoding, like the harness's `exec`, so the check covers the real path bytes take.
const FAKE_TESTER = String.raw`
proc record {name value} {
  set f [open [file join $::env(FAKE_OUT) $name] w]
  fconfigure $f -translation lf
  puts -nonewline $f $value
  close $f
}
proc do_execsql_test_on_specific_db {db_name test_name sql_statements expected_outputs} {
  record db $db_name
  record name $test_name
  record sql $sql_statements
  record expected [join $expected_outputs "\n"]
  record llength [llength $expected_outputs]
}
`;

// A harness that compares `expected` as text (like the example target's), for the `text` form.
const FAKE_TEXT_TESTER = FAKE_TESTER.replace('[join $expected_outputs "\\n"]', '$expected_outputs').replace(
  'record llength [llength $expected_outputs]',
  '',
);

let dir: string;
let textDir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tcl-render-'));
  writeFileSync(join(dir, 'tester.tcl'), FAKE_TESTER);
  textDir = join(dir, 'text');
  mkdirSync(textDir);
  writeFileSync(join(textDir, 'tester.tcl'), FAKE_TEXT_TESTER);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function runRendered(
  sql: string,
  expected: string,
  lang = 'C.UTF-8',
  expectedForm: 'list' | 'text' = 'list',
) {
  const out = mkdtempSync(join(dir, 'out-'));
  const file = join(expectedForm === 'list' ? dir : textDir, `case-${counter++}.test`);
  const content = renderTclTest({
    testName: 'panic-x-1',
    sql,
    expected,
    panicLocation: 'core/a.rs:1:2',
    expectedForm,
  });
  writeFileSync(file, content, { mode: 0o755 });
  const run = spawnSync(file, [], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FAKE_OUT: out, HOME: dir, LANG: lang, LC_ALL: lang },
    encoding: 'buffer',
  });
  const read = (name: string) => readFileSync(join(out, name));
  return { run, read };
}

const ADVERSARIAL: readonly (readonly [string, string])[] = [
  ['plain', 'CREATE TABLE t(a);\nINSERT INTO t VALUES (1);\nSELECT * FROM t;'],
  ['unbalanced open brace', "SELECT '{';"],
  ['unbalanced close brace', "SELECT '}';"],
  ['close before open', "SELECT '}{';"],
  ['command substitution', "SELECT '[exec touch PWNED]';"],
  ['variable substitution', "SELECT '$env(HOME)', '${x}', '$argv0';"],
  ['backslashes', "SELECT 'a\\b', 'c\\\\d', 'end\\';"],
  ['backslash-newline', "SELECT 'a\\\nb';"],
  ['backslash brace in braces', "SELECT '\\{', '\\}';"],
  ['quotes', `SELECT "col", 'it''s', "\\"";`],
  ['newlines and CR', "SELECT 'a\r\nb\rc\n';"],
  ['tabs and controls', "SELECT 'a\tb\u0001\u001b[31m\u007f';"],
  ['unicode', "SELECT 'héllo wörld ñ 日本語 Ω';"],
  ['non-BMP', "SELECT '😀 𝄞';"],
  ['semicolons and hash', '# not a comment\nSELECT 1; -- c\n/* { */ SELECT 2;'],
  ['brackets', 'SELECT [a], x[0], "]]" FROM [t];'],
  ['trailing backslash', 'SELECT 1\\'],
  ['hex after control', "SELECT '\u0001abc\u0002ff';"],
  ['empty', ''],
];

describe('renderTclTest through real tclsh', () => {
  it.each(ADVERSARIAL)('SQL %s reaches the harness byte-identical', (_label, sql) => {
    const { run, read } = runRendered(sql, '1');
    expect(run.stderr.toString(), run.stderr.toString()).toBe('');
    expect(run.status).toBe(0);
    expect(read('sql').equals(Buffer.from(sql, 'utf8'))).toBe(true);
    expect(read('db').toString()).toBe(':memory:');
    expect(read('name').toString()).toBe('panic-x-1');
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  it.each(ADVERSARIAL)('expected output %s survives the list join byte-identical', (_label, text) => {
    const { run, read } = runRendered('SELECT 1;', text);
    expect(run.status).toBe(0);
    expect(read('expected').equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  it.each(ADVERSARIAL)(
    'expected output %s is byte-identical for a harness comparing text',
    (_label, text) => {
      const { run, read } = runRendered('SELECT 1;', text, 'C.UTF-8', 'text');
      expect(run.status).toBe(0);
      expect(read('expected').equals(Buffer.from(text, 'utf8'))).toBe(true);
    },
  );

  it('plain rows are written as Turso writes them, readable by both harness kinds', () => {
    const content = renderTclTest({ testName: 'n', sql: 'SELECT 1;', expected: '1|a\n2|' });
    expect(content).toContain(' {1|a\n2|}\n');
    expect(runRendered('SELECT 1;', '1|a\n2|', 'C.UTF-8', 'text').read('expected').toString()).toBe(
      '1|a\n2|',
    );
    expect(runRendered('SELECT 1;', '1|a\n2|').read('expected').toString()).toBe('1|a\n2|');
  });

  it('keeps rows with spaces as one row each (the harness joins a list with \\n)', () => {
    const expected = 'hello world|1\n\n  padded  |\n{x y}|2';
    const { read } = runRendered('SELECT 1;', expected);
    expect(read('expected').toString('utf8')).toBe(expected);
    expect(read('llength').toString()).toBe('4');
  });

  it('is byte-identical in a C locale too (UTF-8 written literally, not as \\u escapes)', () => {
    const sql = "SELECT 'héllo 日本語 [exec touch PWNED] $env(HOME) {';";
    const { run, read } = runRendered(sql, 'é|日', 'C');
    expect(run.status).toBe(0);
    expect(read('sql').equals(Buffer.from(sql, 'utf8'))).toBe(true);
    expect(read('expected').equals(Buffer.from('é|日', 'utf8'))).toBe(true);
  });

  it('carries 1 MB of adversarial SQL intact', () => {
    const chunk = 'INSERT INTO t VALUES (\'{[$x]}\\\', "q"); -- }\r\n';
    const sql = chunk.repeat(Math.ceil((1024 * 1024) / chunk.length));
    const { run, read } = runRendered(sql, '');
    expect(run.status).toBe(0);
    expect(read('sql').equals(Buffer.from(sql, 'utf8'))).toBe(true);
    expect(read('expected').length).toBe(0);
  });

  it('survives random strings over the Tcl-special alphabet', () => {
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      '$',
      '\\',
      '"',
      "'",
      ';',
      '#',
      ' ',
      '\n',
      '\r',
      '\t',
      'a',
      '0',
      'é',
      '\u0000',
    ];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let k = 0; k < 40; k++) {
      let s = '';
      const len = 1 + rand(30);
      for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
      // NUL cannot travel through exec argv at all; keep it in the encoding check only.
      const { run, read } = runRendered(s, s.split('\u0000').join(''));
      expect(run.status, `case ${JSON.stringify(s)}`).toBe(0);
      expect(read('sql').equals(Buffer.from(s, 'utf8')), `sql ${JSON.stringify(s)}`).toBe(true);
      expect(read('expected').equals(Buffer.from(s.split('\u0000').join(''), 'utf8'))).toBe(true);
    }
    expect(existsSync(join(dir, 'PWNED'))).toBe(false);
  });

  it('writes the file in Turso style: shebang, testdir, tester.tcl, the :memory: proc, never an any-error proc', () => {
    const content = renderTclTest({ testName: 'panic-a-1', sql: 'SELECT 1;', expected: '1' });
    expect(content.split('\n').slice(0, 3)).toEqual([
      '#!/usr/bin/env tclsh',
      'set testdir [file dirname $argv0]',
      'source $testdir/tester.tcl',
    ]);
    expect(content).toContain('do_execsql_test_on_specific_db {:memory:} panic-a-1 {SELECT 1;} 1\n');
    expect(content).not.toMatch(/error/);
  });

  it('keeps a hostile location out of the code (comment line only)', () => {
    const content = renderTclTest({
      testName: 'panic-a-1',
      sql: 'SELECT 1;',
      expected: '1',
      panicLocation: 'core/a.rs:1:2\\\nexec touch PWNED\n',
    });
    const lines = content.split('\n');
    expect(lines.filter((l) => l.startsWith('#') && !l.startsWith('#!'))).toHaveLength(1);
    expect(content).not.toMatch(/\\\n/);
  });
});

describe('tclExpectedForm', () => {
  it('is list when the proc joins its expected argument, text otherwise', () => {
    expect(tclExpectedForm(FAKE_TESTER)).toBe('list');
    expect(tclExpectedForm(FAKE_TEXT_TESTER)).toBe('text');
    // The join may live in a helper proc, as in the example target's harness.
    const helper =
      'proc check {e} { set e [join $e "\\n"] }\nproc do_execsql_test_on_specific_db {db n s e} { check $e }';
    expect(tclExpectedForm(helper)).toBe('list');
  });
});

describe('tclWord', () => {
  it('braces balanced text without backslashes, quotes everything else', () => {
    expect(tclWord('SELECT {a}')).toBe('{SELECT {a}}');
    expect(tclWord('a}')).toBe('"a\\}"');
    expect(tclWord('a\\b')).toBe('"a\\\\b"');
    expect(tclWord('$x [y]')).toBe('{$x [y]}');
  });
});

describe('registerTclTest', () => {
  const suite = [
    '#!/usr/bin/env tclsh',
    '',
    'set testdir [file dirname $argv0]',
    '',
    'source $testdir/insert.test',
    'source $testdir/select.test',
    '',
    'puts done',
    '',
  ].join('\n');

  it('adds a source line after the existing ones, in their style', () => {
    const next = registerTclTest(suite, 'panic-x-1.test');
    expect(next.split('\n').slice(4, 8)).toEqual([
      'source $testdir/insert.test',
      'source $testdir/select.test',
      'source $testdir/panic-x-1.test',
      '',
    ]);
    expect(next.endsWith('puts done\n')).toBe(true);
  });

  it('is idempotent', () => {
    const once = registerTclTest(suite, 'panic-x-1.test');
    expect(registerTclTest(once, 'panic-x-1.test')).toBe(once);
  });

  it('follows [file join …], indentation and CRLF', () => {
    const crlf = 'set testdir [file dirname $argv0]\r\n  source [file join $testdir a.test]\r\n';
    expect(registerTclTest(crlf, 'b.test')).toBe(
      'set testdir [file dirname $argv0]\r\n  source [file join $testdir a.test]\r\n  source [file join $testdir b.test]\r\n',
    );
  });

  it('defines testdir when the suite has nothing yet', () => {
    expect(registerTclTest('#!/usr/bin/env tclsh', 'b.test')).toBe(
      '#!/usr/bin/env tclsh\nset testdir [file dirname $argv0]\nsource $testdir/b.test\n',
    );
  });

  it('refuses file names that are not plain .test names', () => {
    expect(() => registerTclTest(suite, '../x.test')).toThrow(/plain TCL test/);
    expect(() => registerTclTest(suite, 'a b.test')).toThrow(/plain TCL test/);
    expect(() => registerTclTest(suite, 'x.test\nexec rm')).toThrow(/plain TCL test/);
  });

  it('produces a suite that real tclsh runs, sourcing the new test', () => {
    const d = mkdtempSync(join(tmpdir(), 'tcl-suite-'));
    try {
      writeFileSync(join(d, 'a.test'), 'puts A\n');
      writeFileSync(join(d, 'b.test'), 'puts B\n');
      const base = '#!/usr/bin/env tclsh\nset testdir [file dirname $argv0]\nsource $testdir/a.test\n';
      writeFileSync(join(d, 'all.test'), registerTclTest(base, 'b.test'));
      expect(execFileSync('tclsh', [join(d, 'all.test')], { encoding: 'utf8' })).toBe('A\nB\n');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
