import { describe, expect, it } from 'vitest';
import { commitMessage, subjectLine, SUBJECT_MAX } from './commit-message.js';
import { codeBlock, inline, literalParagraphs } from './markdown.js';
import { prBody, prTitle, PR_BODY_LIMIT, type PrBodyInput } from './pr-text.js';
import { codePointLength } from './text.js';

const base = {
  location: 'core/vdbe/execute.rs:1234:17',
  message: 'index out of bounds',
  rootCause: 'The cursor was not reset.',
  fix: 'Reset it.',
  failingSeed: 42,
  slug: 'core-vdbe-execute-rs-1234',
};

describe('commitMessage', () => {
  it('uses a short location as is', () => {
    const msg = commitMessage(base);
    expect(msg.split('\n')[0]).toBe('fix: panic at core/vdbe/execute.rs:1234:17');
    expect(msg).toContain('Failing seed: 42');
    expect(msg).toContain('    The cursor was not reset.');
  });

  it('keeps the subject ≤ 72 code points for long unicode locations, cutting whole characters only', () => {
    const location = `core/${'ä'.repeat(30)}/${'🦀'.repeat(20)}/é\u0301é\u0301/${'日本語'.repeat(10)}.rs:99:1`;
    const subject = commitMessage({ ...base, location }).split('\n')[0]!;
    expect(codePointLength(subject)).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(subject.startsWith('fix: panic at …')).toBe(true);
    expect(subject.endsWith('.rs:99:1')).toBe(true);
    // No lone surrogates: the string round-trips through UTF-8.
    expect(Buffer.from(subject, 'utf8').toString('utf8')).toBe(subject);
    expect(subject).not.toMatch(/^[\s\S]*[\ud800-\udbff](?![\udc00-\udfff])/);
    // A combining sequence is kept whole or dropped whole.
    for (let max = 20; max < 40; max++) {
      const s = subjectLine('x ', 'é\u0301'.repeat(30), max);
      expect(s.startsWith('x …é\u0301') || s === 'x …').toBe(true);
      expect(codePointLength(s)).toBeLessThanOrEqual(max);
    }
  });

  it('flattens control characters and newlines out of the subject and drops NUL', () => {
    const msg = commitMessage({
      ...base,
      location: 'a.rs:1\nSigned-off-by: x\u0000',
      message: 'm\u0000\u001b[31mred',
    });
    expect(msg.split('\n')[0]).toBe('fix: panic at a.rs:1 Signed-off-by: x');
    expect(msg).not.toContain('\u0000');
    expect(msg).not.toContain('\u001b');
    expect(msg).toContain('    m[31mred');
  });
});

describe('markdown helpers', () => {
  it('uses a fence longer than any backtick run in the content', () => {
    const block = codeBlock('a ``` b\n`````\nc', 'sql');
    expect(block.startsWith('``````sql\n')).toBe(true);
    expect(block.endsWith('\n``````')).toBe(true);
  });

  it('escapes inline markup, HTML and mentions but keeps the text', () => {
    const out = inline('<script>alert(1)</script> **bold** @alice [x](http://e) #123 a|b');
    expect(out).not.toMatch(/<script>/);
    expect(out).toContain('@\u200balice');
    expect(out).toContain('\\|');
    expect(out).toContain('\\<script\\>');
    // Removing the escapes gives back the original text.
    expect(out.replace(/\\(.)/g, '$1').replace(/\u200b/g, '')).toBe(
      '<script>alert(1)</script> **bold** @alice [x](http://e) #123 a|b',
    );
  });

  it('keeps line structure of prose without letting it become headings, lists or code', () => {
    const out = literalParagraphs('# title\n- item\n    indented code\n\n1. one');
    expect(out.split('\n')).toEqual([
      '\\# title\\',
      '\\- item\\',
      '&#160;&#160;&#160;&#160;indented code',
      '',
      '1\\. one',
    ]);
  });
});

describe('prBody / prTitle', () => {
  const input: PrBodyInput = {
    location: base.location,
    message: 'assertion failed: `x` <b>bold</b>',
    sqlStatements: ['CREATE TABLE t(a);', 'SELECT "```" FROM t; -- $(touch /tmp/pwned)'],
    bugDescription: 'Ping @octocat and @org/team; see #123.\n<img src=x onerror=alert(1)>',
    fixDescription: 'Reset the cursor.\n```\nnot a fence break\n```',
    whySimulatorMissed: 'Never generated DELETE before INSERT.',
    simulatorChanges: 'Added an interaction.',
    failingSeed: '18446744073709551615',
    validation: {
      steps: [
        { name: 'regression test', ok: true, durationMs: 1500 },
        { name: 'full suite', ok: false, durationMs: 200_000, detail: 'failed: a | b\nnext' },
      ],
    },
    costUsd: { reproduce: 1.25, fix: 2.5 },
    phases: { reproduce: { outcome: 'passed', attempts: 2, durationMs: 1, costUsd: 9 }, fixing: undefined },
    regressionTest: 'testing/panic_x.test',
    durationsMs: { reproduce: 60_000, fix: 90_000 },
    runUrl: 'https://github.com/o/r/actions/runs/1',
    branch: 'fix/panic-core-vdbe-execute-rs-1234',
    baseCommit: 'abc123',
  };

  it('renders adversarial data literally', () => {
    const body = prBody(input);
    // SQL inside a fence longer than the ``` in the data; the shell-looking text is just text.
    expect(body).toContain('````sql\nCREATE TABLE t(a);\nSELECT "```" FROM t; -- $(touch /tmp/pwned)\n````');
    expect(body).toContain('```text\nassertion failed: `x` <b>bold</b>\n```');
    // Outside code fences no raw HTML survives: every '<' is backslash-escaped.
    const outsideFences = body.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');
    expect(outsideFences).toContain('\\<img src');
    expect(outsideFences).not.toMatch(/(^|[^\\])</m);
    expect(body).not.toMatch(/(^|[^\u200b])@octocat/);
    expect(body).toContain('@\u200boctocat');
    expect(body).toContain('@\u200borg');
    expect(body).toContain('\\#123');
    expect(body).toContain('| full suite | ❌ failed | 3 min 20 s | failed\\: a \\| b next |');
    expect(body).toContain('| reproduce | passed | 2 | 1.25 | 60.0 s |');
    expect(body).toContain('| fix |  |  | 2.50 | 90.0 s |');
    expect(body).toContain('| **total** | | | 3.75 | |');
    expect(body).toContain('**Regression test:** testing\\/panic\\_x\\.test');
    expect(body).toContain('[Workflow run](https://github.com/o/r/actions/runs/1)');
    expect(body).toContain('`18446744073709551615`');
  });

  it('drops NUL and does not link a non-http run URL', () => {
    const body = prBody({ ...input, message: 'a\u0000b', runUrl: 'javascript:alert(1)' });
    expect(body).not.toContain('\u0000');
    expect(body).toContain('```text\nab\n```');
    expect(body).not.toContain('](javascript');
    expect(body).toContain('Workflow run: javascript\\:alert\\(1\\)');
  });

  it('truncates 1 MB fields with a note and stays under the GitHub limit', () => {
    const huge = 'x'.repeat(1024 * 1024);
    const body = prBody({
      ...input,
      message: huge,
      sqlStatements: huge,
      bugDescription: huge,
      fixDescription: huge,
      whySimulatorMissed: huge,
      simulatorChanges: huge,
    });
    expect(body.length).toBeLessThanOrEqual(PR_BODY_LIMIT);
    expect(body).toContain('[truncated:');
    expect(body).toContain('## Validation');
    expect(body).toContain('[Workflow run]');
    // Escaping expands text (every '.' becomes '\.'); the limit still holds.
    const dots = prBody({ ...input, bugDescription: '.'.repeat(300_000) });
    expect(dots.length).toBeLessThanOrEqual(PR_BODY_LIMIT);
  });

  it('makes a single-line title within 72 code points', () => {
    expect(prTitle({ location: base.location })).toBe('fix: panic at core/vdbe/execute.rs:1234:17');
    const long = prTitle({ location: `${'very/long/'.repeat(20)}file.rs:1:1` });
    expect(codePointLength(long)).toBeLessThanOrEqual(72);
    expect(long).toMatch(/^fix: panic at …\/.*file\.rs:1:1$/);
  });
});
