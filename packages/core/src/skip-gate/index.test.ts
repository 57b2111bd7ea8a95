import { describe, expect, it } from 'vitest';

import { skipReason } from './index.js';

// [message, expected form fragment in the reason (undefined = must not skip)]
const TABLE: readonly (readonly [string, string | undefined])[] = [
  // Rust macros, exactly as std prints them.
  ['not yet implemented', 'todo!()'],
  ['not yet implemented: window functions over views', 'todo!()'],
  ['not implemented', 'unimplemented!()'],
  ['not implemented: ALTER TABLE DROP COLUMN with index', 'unimplemented!()'],
  // Real Turso messages (turso-interfaces.md §4).
  ['balancing child page with overflowed parent not yet implemented', 'todo!()'], // #2241 (simulator)
  ['Cursor not found: CursorKey { table_reference_id: TableInternalId(2), index: None }', undefined], // #3667
  ['called `Option::unwrap()` on a `None` value', undefined], // #5226
  ['indexbtree_seek: index_info required', undefined], // #6006
  ['internal error: entered unreachable code: list_types cannot be set', undefined], // #5810
  // "not supported" forms.
  ['PRAGMA foo is not supported yet', 'is not supported yet'],
  ['Feature not yet supported: RETURNING in triggers', 'not yet supported'],
  ['virtual tables not supported', '"not supported"'],
  ['Unsupported expression in ORDER BY', '"unsupported"'],
  ['unsupported', '"unsupported"'],
  ['todo!("attach")', 'todo!() macro text'],
  ['hit unimplemented!() in vdbe', 'unimplemented!() macro text'],
  ['custom message: unimplemented', '"unimplemented"'],
  ['assertion `left == right` failed: collation not supported\n  left: 1\n right: 2', '"not supported"'],
  // Must not skip: code, data, identifiers.
  ['assertion failed: supported_count > 0', undefined],
  ['assertion failed: !self.unsupported', undefined],
  ['assertion failed: not_implemented.is_empty()', undefined],
  ['index out of bounds: the len is 3 but the index is 5', undefined],
  ['assertion `left == right` failed\n  left: "not supported"\n right: "ok"', undefined],
  ['called `Result::unwrap()` on an `Err` value: ParseError("unsupported token")', undefined],
  ['attempt to subtract with overflow', undefined],
  ['page 3 not_supported_flag set', undefined],
  ['supported types: INTEGER, TEXT', undefined],
  ['implemented incorrectly: overflow chain loops', undefined],
  ['nothing implemented here was wrong', undefined],
  ['', undefined],
];

describe('skipReason', () => {
  it.each(TABLE)('%j', (message, form) => {
    const decision = skipReason(message);
    if (form === undefined) {
      expect(decision).toBeUndefined();
    } else {
      expect(decision?.reason).toContain(form);
      expect(decision?.reason).toMatch(/^unimplemented\/unsupported feature/);
    }
  });

  it('quotes the matched part of a long message in the reason', () => {
    const long = `${'x'.repeat(200)} join kind not yet implemented ${'y'.repeat(200)}`;
    const reason = skipReason(long)?.reason ?? '';
    expect(reason).toContain('not yet implemented');
    expect(reason.length).toBeLessThan(250);
  });
});
