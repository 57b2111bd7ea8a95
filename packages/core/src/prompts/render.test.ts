import { describe, expect, it } from 'vitest';
import { targetSchema } from '../config/schema.js';
import { fenced, loadPromptTemplate, promptPlaceholders, PromptRenderError, renderPrompt } from './render.js';
import { panicPromptVars } from './vars.js';

describe('renderPrompt', () => {
  it('fills placeholders verbatim, once, without expanding values', () => {
    const value = '{{b}} $& $1 $$ `x` $(touch /tmp/pwned) \'q\' "d"\n';
    expect(renderPrompt('A={{a}} B={{b}} A again={{a}}', { a: value, b: 'bee' })).toBe(
      `A=${value} B=bee A again=${value}`,
    );
  });

  it('rejects a template with missing variables, naming all of them', () => {
    expect(() => renderPrompt('{{a}} {{b}} {{c}}', { b: '' })).toThrow(PromptRenderError);
    try {
      renderPrompt('{{a}} {{b}} {{c}}', { b: '' });
    } catch (error) {
      expect((error as PromptRenderError).missing).toEqual(['a', 'c']);
    }
    // Inherited properties are not variables.
    expect(() => renderPrompt('{{toString}}', {})).toThrow(PromptRenderError);
  });

  it('leaves things that are not placeholders alone', () => {
    expect(renderPrompt('{{ a }} {a} {{1x}} {{a}}', { a: 'v' })).toBe('{{ a }} {a} {{1x}} v');
  });
});

describe('fenced', () => {
  it('uses a fence longer than any backtick run in the data', () => {
    const sql = "SELECT '```' || '````';";
    const block = fenced(sql, 'sql');
    expect(block).toBe(`\`\`\`\`\`sql\n${sql}\n\`\`\`\`\``);
    expect(fenced('plain')).toBe('```\nplain\n```');
  });
});

describe('the Turso prompts', () => {
  const target = targetSchema.parse({});
  const vars = panicPromptVars({
    panicLocation: 'core/vdbe/execute.rs:120:9',
    panicMessage: 'assertion failed: `cursor.is_some()` {{failing_seed}}',
    sqlStatements: "CREATE TABLE t(a);\nSELECT '```' FROM t; -- $(touch /tmp/pwned)",
    target,
    regressionTest: 'testing/panic_core_vdbe_execute_rs_120.test',
    failingSeed: '15303337611339355332',
    whySimulatorMissed: 'never generated subqueries',
    simulatorChanges: 'added nested selects',
  });

  it('reproducer: panic data, simulator layout, tools, and the hands-off-core rule', async () => {
    const template = await loadPromptTemplate('reproducer');
    for (const name of promptPlaceholders(template)) expect(vars).toHaveProperty(name);
    const prompt = renderPrompt(template, vars);
    // Nothing left unfilled outside the panic data.
    expect(prompt.replace(vars.panic_message_block!, '')).not.toContain('{{');
    expect(prompt).toContain('`core/vdbe/execute.rs:120:9`');
    expect(prompt).toContain(
      fenced("CREATE TABLE t(a);\nSELECT '```' FROM t; -- $(touch /tmp/pwned)", 'sql'),
    );
    // A placeholder inside panic data stays literal.
    expect(prompt).toContain('`cursor.is_some()` {{failing_seed}}');
    expect(prompt).toContain('`simulator/`, `testing/simulator/`, `sql_generation/`');
    expect(prompt).toContain('cargo run -p limbo_sim -- --seed {seed}');
    expect(prompt).toMatch(/run-simulator/);
    expect(prompt).toMatch(/describe-sim-fix/);
    expect(prompt).toMatch(/Do \*\*not\*\* modify `core\/`/);
  });

  it('fixer: regression test, fix location, validate-fix then describe-fix, no weakened tests', async () => {
    const template = await loadPromptTemplate('fixer');
    for (const name of promptPlaceholders(template)) expect(vars).toHaveProperty(name);
    const prompt = renderPrompt(template, vars);
    expect(prompt).toContain('`testing/panic_core_vdbe_execute_rs_120.test`');
    expect(prompt).toContain('make test-single TEST={test}');
    expect(prompt).toContain('seed `15303337611339355332`');
    expect(prompt).toContain('never generated subqueries');
    expect(prompt).toMatch(/validate-fix/);
    expect(prompt.indexOf('validate-fix')).toBeLessThan(prompt.indexOf('describe-fix'));
    expect(prompt).toMatch(/Do not weaken, skip or delete tests/);
    expect(prompt).toMatch(/under `core\/`/);
  });

  it('says so when no SQL came with the panic', async () => {
    const prompt = renderPrompt(
      await loadPromptTemplate('fixer'),
      panicPromptVars({
        panicLocation: 'core/x.rs:1:1',
        panicMessage: 'boom',
        sqlStatements: '',
        target,
        regressionTest: 'testing/x.test',
      }),
    );
    expect(prompt).toContain('no SQL was reported');
    expect(prompt).toContain('seed `(not recorded)`');
  });
});
