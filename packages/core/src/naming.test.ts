import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isValidBranchName, panicNames } from './naming.js';

function gitAccepts(branch: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', '--branch', branch], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const NASTY = [
  'core/translate/pragma.rs:331:39',
  'core\\translate\\emitter.rs:186:51',
  '../../etc/passwd:1:1',
  '/abs/path/with spaces/file.rs:10:2',
  'core/ütf8/ファイル.rs:3:4',
  'a'.repeat(500),
  '/'.repeat(300),
  ':::',
  '..',
  '.lock',
  'x.lock',
  '@{-1}',
  'core/x.rs:1:1; rm -rf / `id` $(whoami)',
  '-leading-dash',
  'trailing.',
  '~^:?*[\\',
  '\u202e\u200b',
];

describe('panicNames', () => {
  it('gives the readable form for a normal location', () => {
    const n = panicNames('core/translate/pragma.rs:331:39');
    expect(n.slug).toMatch(/^core-translate-pragma-331-39-[0-9a-f]{12}$/);
    expect(n.branch).toBe(`fix/panic-${n.slug}`);
  });

  it.each(NASTY)('yields a valid, bounded branch for %j', (location) => {
    const n = panicNames(location);
    expect(n.slug).toMatch(/^[a-z0-9-]{1,80}$/);
    expect(n.branch.length).toBeLessThanOrEqual(100);
    expect(isValidBranchName(n.branch)).toBe(true);
    expect(gitAccepts(n.branch)).toBe(true);
    expect(n.sessionId).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('never collides for distinct locations, including ones that normalise alike', () => {
    const locations = [
      ...NASTY,
      'core/a.rs:1:1',
      'core-a.rs:1:1',
      'core/a.rs:1-1',
      'CORE/A.RS:1:1',
      'core/a.rs:1:1 ',
    ];
    for (let i = 0; i < 2000; i++) locations.push(`core/f${i % 7}.rs:${i}:${i % 13}`);
    const slugs = new Set(locations.map((l) => panicNames(l).slug));
    expect(slugs.size).toBe(new Set(locations).size);
  });

  it('refuses an empty location', () => {
    expect(() => panicNames('')).toThrow(/empty/);
  });

  it('agrees with git on what a valid branch is', () => {
    for (const name of [
      'fix/a',
      'fix/.a',
      'fix/a.lock',
      'fix//a',
      'fix/a..b',
      'fix/a b',
      'fix/a~1',
      'fix/@{x}',
      'fix/a.',
    ]) {
      expect(isValidBranchName(name), name).toBe(gitAccepts(name));
    }
  });
});
