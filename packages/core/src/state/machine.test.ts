import { describe, expect, it } from 'vitest';
import { STATUSES, TERMINAL_STATUSES, TRANSITIONS, assertTransition, canTransition } from './machine.js';

describe('state machine', () => {
  it('walks the happy path', () => {
    const path = ['pending', 'repo_setup', 'reproducing', 'fixing', 'shipping', 'pr_open'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it('lets every active phase fail to needs_human_review', () => {
    for (const s of ['pending', 'repo_setup', 'reproducing', 'fixing', 'shipping'] as const) {
      expect(canTransition(s, 'needs_human_review')).toBe(true);
    }
  });

  it('refuses skipping phases and leaving terminal states except by requeue', () => {
    expect(() => assertTransition('pending', 'fixing')).toThrow(/not allowed/);
    expect(() => assertTransition('reproducing', 'pr_open')).toThrow(/not allowed/);
    for (const t of TERMINAL_STATUSES) expect(TRANSITIONS[t]).toEqual(['pending']);
  });

  it('only names known states', () => {
    for (const [from, tos] of Object.entries(TRANSITIONS)) {
      expect(STATUSES).toContain(from);
      for (const to of tos) expect(STATUSES).toContain(to);
    }
  });
});
