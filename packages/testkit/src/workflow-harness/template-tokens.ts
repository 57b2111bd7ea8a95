import { isMapping, isSequence, isString } from '@actions/workflow-parser';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { WorkflowHarnessError } from './errors.js';

export function describeToken(token: TemplateToken | undefined): string {
  if (!token?.range) return '';
  return `(line ${token.range.start.line}, col ${token.range.start.column})`;
}

/** Key → value pairs of a mapping token whose keys are literal strings. */
export function mappingEntries(token: TemplateToken, what: string): Array<[string, TemplateToken]> {
  if (!isMapping(token)) throw new WorkflowHarnessError(`${what} must be a mapping ${describeToken(token)}`);
  const entries: Array<[string, TemplateToken]> = [];
  for (const pair of token) {
    if (!isString(pair.key))
      throw new WorkflowHarnessError(`${what}: keys must be literal strings ${describeToken(pair.key)}`);
    entries.push([pair.key.value, pair.value]);
  }
  return entries;
}

export function sequenceItems(token: TemplateToken, what: string): TemplateToken[] {
  if (!isSequence(token))
    throw new WorkflowHarnessError(`${what} must be a sequence ${describeToken(token)}`);
  const items: TemplateToken[] = [];
  for (const item of token) items.push(item);
  return items;
}

export function literalString(token: TemplateToken, what: string): string {
  if (!isString(token))
    throw new WorkflowHarnessError(`${what} must be a literal string ${describeToken(token)}`);
  return token.value;
}
