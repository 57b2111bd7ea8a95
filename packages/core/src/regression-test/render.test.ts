import { describe, expect, it } from 'vitest';

import { detectRegressionFormat, RegressionFormatError } from './detect-format.js';
import { RegressionFileError, regressionTestFile } from './file.js';
import { splitSql } from './split-sql.js';
import { renderSqlTest } from './sqltest.js';

describe('splitSql', () => {
  it.each([
    ['SELECT 1; SELECT 2', ['SELECT 1', 'SELECT 2']],
    ["SELECT ';'; SELECT 'it''s;'", ["SELECT ';'", "SELECT 'it''s;'"]],
    ['SELECT "a;b", `c;d`, [e;f] FROM t;', ['SELECT "a;b", `c;d`, [e;f] FROM t']],
    ['SELECT 1; -- a; b\nSELECT 2 /* ; */;', ['SELECT 1', '-- a; b\nSELECT 2 /* ; */']],
    ['-- only a comment;\n', []],
    [';;  ;\n', []],
    [
      'CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); UPDATE u SET a = 2; END; SELECT 1;',
      [
        'CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); UPDATE u SET a = 2; END',
        'SELECT 1',
      ],
    ],
    [
      'create temp trigger tr before delete on t begin select case when 1 then 2 end; select 3; end; select 4',
      [
        'create temp trigger tr before delete on t begin select case when 1 then 2 end; select 3; end',
        'select 4',
      ],
    ],
    ['BEGIN; INSERT INTO t VALUES (1); END;', ['BEGIN', 'INSERT INTO t VALUES (1)', 'END']],
    ["SELECT 'unterminated; still", ["SELECT 'unterminated; still"]],
  ])('%j', (sql, statements) => {
    expect(splitSql(sql)).toEqual(statements);
  });
});

/** The `.sqltest` lexer's block rule: up to the matching `}`, with `\{`, `\}` and `\\` as escapes. */
function readBlock(text: string, open: number): { content: string; end: number } {
  let depth = 1;
  let content = '';
  let i = open + 1;
  if (text[i] === '\n') i++;
  for (; i < text.length; i++) {
    const ch = text[i] as string;
    const next = text[i + 1];
    if (ch === '\\' && (next === '{' || next === '}' || next === '\\')) {
      content += next;
      i++;
    } else if (ch === '{') {
      depth++;
      content += ch;
    } else if (ch === '}') {
      if (--depth === 0) return { content: content.endsWith('\n') ? content.slice(0, -1) : content, end: i };
      content += ch;
    } else content += ch;
  }
  throw new Error('unterminated block');
}

/** Reads back the SQL and expected rows of a rendered single-test file the way Turso's parser does. */
function parseSqlTest(text: string): { name: string; sql: string; rows: string[] } {
  const head = /\ntest ([A-Za-z_][A-Za-z0-9_-]*) \{/.exec(text);
  if (!head) throw new Error('no test');
  const sqlBlock = readBlock(text, head.index + head[0].length - 1);
  const rest = text.slice(sqlBlock.end + 1);
  const expectAt = rest.indexOf('expect {');
  if (!/^\s*$/.test(rest.slice(0, expectAt))) throw new Error('junk between blocks');
  const expBlock = readBlock(rest, expectAt + 'expect '.length);
  return {
    name: head[1] as string,
    sql: sqlBlock.content.trim(),
    rows: expBlock.content.split('\n').map((r) => r.trim()),
  };
}

describe('renderSqlTest', () => {
  it('writes the DSL: @database :memory:, test, expect', () => {
    const r = renderSqlTest({ testName: 'panic-a-1', sql: 'SELECT 1;', expected: '1\n2|x' });
    expect(r).toEqual({
      ok: true,
      content: '@database :memory:\n\ntest panic-a-1 {\nSELECT 1;\n}\nexpect {\n1\n2|x\n}\n',
    });
  });

  it.each([
    "SELECT '}';",
    "SELECT '{';",
    "SELECT '\\}' , '\\\\', 'a\\nb';",
    'SELECT json(\'{"a": {"b": 1}}\');',
    "SELECT '}\n}\n';\nSELECT 2;",
    "SELECT 'é 日本 $x [y] # z';",
  ])('round-trips %j through the DSL block rules', (sql) => {
    const r = renderSqlTest({ testName: 'panic-a-1', sql, expected: "{'}'}|\\" });
    if (!r.ok) throw new Error(r.error);
    const parsed = parseSqlTest(r.content);
    expect(parsed.sql).toBe(sql.trim());
    expect(parsed.rows).toEqual(["{'}'}|\\"]);
    expect(parsed.name).toBe('panic-a-1');
  });

  it('appends the final semicolon the runner requires when the SQL ends in code', () => {
    const r = renderSqlTest({ testName: 'panic-a-1', sql: 'select true', expected: '1' });
    expect(r.ok && parseSqlTest(r.content).sql).toBe('select true;');
  });

  it.each([
    [{ sql: "SELECT '{{x}}';", expected: '' }, /macros/],
    [{ sql: 'SELECT 1;', expected: ' padded' }, /whitespace/],
    [{ sql: 'SELECT 1;', expected: 'a\r' }, /whitespace/],
    [{ sql: 'SELECT 1 -- no semicolon', expected: '' }, /comment/],
    [{ sql: '  -- nothing ', expected: '' }, /no statement/],
  ])('refuses what it cannot represent: %j', (input, error) => {
    const r = renderSqlTest({ testName: 'panic-a-1', ...input });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it('refuses names that are not DSL identifiers or are keywords', () => {
    expect(renderSqlTest({ testName: '1abc', sql: 'SELECT 1;', expected: '' }).ok).toBe(false);
    expect(renderSqlTest({ testName: 'expect', sql: 'SELECT 1;', expected: '' }).ok).toBe(false);
  });
});

describe('detectRegressionFormat', () => {
  const target = { tclTestDir: 'testing', sqltestDir: 'testing/sqltests' };
  const tclTree = ['Cargo.toml', 'testing/tester.tcl', 'testing/all.test', 'testing/select.test'];
  const sqltestTree = [
    'Cargo.toml',
    'testing/sqltest/Cargo.toml',
    'sqlite/conformance/turso-sqltests/select.sqltest',
    'testing/system/tester.tcl',
  ];

  it('auto: TCL when only tester.tcl exists', () => {
    expect(detectRegressionFormat({ configured: 'auto', files: tclTree, target }).format).toBe('tcl');
  });

  it('auto: sqltest when corpora and a runner exist, even outside sqltestDir', () => {
    const r = detectRegressionFormat({ configured: 'auto', files: sqltestTree, target });
    expect(r.format).toBe('sqltest');
    expect(r.reason).toContain('testing/sqltest/Cargo.toml');
  });

  it('auto: corpora without a runner do not count', () => {
    const files = [...tclTree, 'testing/sqltests/a.sqltest'];
    expect(detectRegressionFormat({ configured: 'auto', files, target }).format).toBe('tcl');
  });

  it('throws when neither exists, or when the configured format cannot run', () => {
    expect(() => detectRegressionFormat({ configured: 'auto', files: ['Cargo.toml'], target })).toThrow(
      RegressionFormatError,
    );
    expect(() => detectRegressionFormat({ configured: 'sqltest', files: tclTree, target })).toThrow(
      /sqltest/,
    );
    expect(() => detectRegressionFormat({ configured: 'tcl', files: sqltestTree, target })).toThrow(
      /testing\/tester.tcl/,
    );
    const system = { ...target, tclTestDir: 'testing/system/' };
    expect(detectRegressionFormat({ configured: 'tcl', files: sqltestTree, target: system }).format).toBe(
      'tcl',
    );
  });
});

describe('regressionTestFile', () => {
  const target = { tclTestDir: './testing/', sqltestDir: 'testing/sqltests' };
  const base = { target, names: { testName: 'panic-x-1' }, sql: 'SELECT 1;', expected: '1' };

  it('places a TCL test in tclTestDir, executable', () => {
    expect(regressionTestFile({ ...base, format: 'tcl' })).toMatchObject({
      format: 'tcl',
      relativePath: 'testing/panic-x-1.test',
      fileName: 'panic-x-1.test',
      mode: 0o755,
    });
  });

  it('places a .sqltest in sqltestDir', () => {
    const f = regressionTestFile({ ...base, format: 'sqltest' });
    expect(f).toMatchObject({
      format: 'sqltest',
      relativePath: 'testing/sqltests/panic-x-1.sqltest',
      mode: 0o644,
    });
    expect(f.fallbackReason).toBeUndefined();
  });

  it('falls back to TCL, with the reason, when the DSL cannot carry the SQL', () => {
    const f = regressionTestFile({ ...base, format: 'sqltest', sql: "SELECT '{{';" });
    expect(f).toMatchObject({ format: 'tcl', relativePath: 'testing/panic-x-1.test', mode: 0o755 });
    expect(f.fallbackReason).toMatch(/macros/);
  });

  it('refuses SQL that Tcl exec would read as a redirection', () => {
    for (const sql of ['>/tmp/x', '  < /etc/passwd', '|cat', '2>/tmp/y', '&']) {
      expect(() => regressionTestFile({ ...base, format: 'tcl', sql })).toThrow(/redirection/);
    }
    expect(regressionTestFile({ ...base, format: 'tcl', sql: 'SELECT 1 < 2 | 3;' }).format).toBe('tcl');
  });

  it('refuses test names that could leave the directory', () => {
    for (const testName of ['../x', 'a/b', '', '.hidden', 'a b']) {
      expect(() => regressionTestFile({ ...base, format: 'tcl', names: { testName } })).toThrow(
        RegressionFileError,
      );
    }
  });
});
