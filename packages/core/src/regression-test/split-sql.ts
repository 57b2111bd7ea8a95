/**
 * Splits SQL text into statements the way SQLite's shell would: `;` ends a statement except inside
 * '…', "…", `…` and […] quoting, -- and /* *\/ comments, and the BEGIN … END body of CREATE TRIGGER (where
 * CASE … END pairs are counted so a CASE's END does not end the body). Statements are trimmed, without their
 * `;`; pieces holding only whitespace and comments are dropped.
 */
export function splitSql(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  // Per statement: the leading keywords (to spot CREATE [TEMP] TRIGGER) and the trigger body state.
  let words: string[] = [];
  let hasCode = false;
  let inTriggerBody = false;
  let caseDepth = 0;

  const finish = (end: number): void => {
    if (hasCode) statements.push(sql.slice(start, end).trim());
    start = end + 1;
    words = [];
    hasCode = false;
    inTriggerBody = false;
    caseDepth = 0;
  };

  const isTrigger = (): boolean => {
    if (words[0] !== 'CREATE') return false;
    const next = words[1] === 'TEMP' || words[1] === 'TEMPORARY' ? words[2] : words[1];
    return next === 'TRIGGER';
  };

  while (i < sql.length) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl + 1;
      continue;
    }
    if (ch === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? sql.length : close + 2;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(close, j);
        if (k === -1) {
          j = sql.length;
          break;
        }
        // A doubled quote is an escaped quote (not for [...], which cannot contain `]`).
        if (close !== ']' && sql[k + 1] === close) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      hasCode = true;
      i = j;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j] as string)) j++;
      const word = sql.slice(i, j).toUpperCase();
      hasCode = true;
      if (words.length < 3) words.push(word);
      if (isTrigger()) {
        if (!inTriggerBody && word === 'BEGIN') inTriggerBody = true;
        else if (inTriggerBody && word === 'CASE') caseDepth++;
        else if (inTriggerBody && word === 'END') {
          if (caseDepth > 0) caseDepth--;
          else inTriggerBody = false;
        }
      }
      i = j;
      continue;
    }
    if (ch === ';' && !inTriggerBody) {
      finish(i);
      i++;
      continue;
    }
    if (!/\s/.test(ch)) hasCode = true;
    i++;
  }
  finish(sql.length);
  return statements;
}
