import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import type { FunctionDefinition, FunctionInfo } from '@actions/expressions/funcs/info';
import {
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from '@actions/workflow-parser';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { BasicExpressionToken } from '@actions/workflow-parser/templates/tokens/basic-expression-token';
import { parse as parseYaml } from 'yaml';
import { unsupported } from './errors.js';
import { toExpressionData, toPlain } from './expression-data.js';
import { describeToken } from './template-tokens.js';

export const CONTEXT_NAMES = [
  'github',
  'inputs',
  'vars',
  'secrets',
  'env',
  'needs',
  'matrix',
  'steps',
  'job',
  'strategy',
  'runner',
] as const;
export type ContextName = (typeof CONTEXT_NAMES)[number];

/** Status functions: at job level they look at `needs` (optionally named jobs), at step level at the job so far. */
export interface StatusFunctions {
  success(jobs: string[]): boolean;
  failure(jobs: string[]): boolean;
  cancelled(): boolean;
}

export interface EvaluationScope {
  contexts: Partial<Record<ContextName, unknown>>;
  status: StatusFunctions;
}

const MAX = Number.MAX_SAFE_INTEGER;
const EXTENSION_FUNCTIONS: FunctionInfo[] = [
  { name: 'always', minArgs: 0, maxArgs: 0 },
  { name: 'success', minArgs: 0, maxArgs: MAX },
  { name: 'failure', minArgs: 0, maxArgs: MAX },
  { name: 'cancelled', minArgs: 0, maxArgs: 0 },
  { name: 'hashFiles', minArgs: 1, maxArgs: 255 },
];

function functionsFor(status: StatusFunctions, where: string): Map<string, FunctionDefinition> {
  const jobNames = (args: data.ExpressionData[]) => args.map((arg) => arg.coerceString());
  const define = (info: FunctionInfo, call: FunctionDefinition['call']): [string, FunctionDefinition] => [
    info.name.toLowerCase(),
    { ...info, call },
  ];
  const [always, success, failure, cancelled, hashFiles] = EXTENSION_FUNCTIONS as [
    FunctionInfo,
    FunctionInfo,
    FunctionInfo,
    FunctionInfo,
    FunctionInfo,
  ];
  return new Map([
    define(always, () => new data.BooleanData(true)),
    define(success, (...args) => new data.BooleanData(status.success(jobNames(args)))),
    define(failure, (...args) => new data.BooleanData(status.failure(jobNames(args)))),
    define(cancelled, () => new data.BooleanData(status.cancelled())),
    define(hashFiles, () => {
      throw unsupported('hashFiles()', where);
    }),
  ]);
}

function contextDictionary(scope: EvaluationScope): data.Dictionary {
  // Every name the parser accepts must resolve, or the evaluator dereferences undefined.
  return new data.Dictionary(
    ...CONTEXT_NAMES.map((name) => ({ key: name, value: toExpressionData(scope.contexts[name] ?? {}) })),
  );
}

/** Parses with GitHub's expression grammar; an unknown function or context is a parse error, so it fails loudly. */
export function parseExpression(expression: string) {
  const { tokens } = new Lexer(expression).lex();
  return new Parser(tokens, [...CONTEXT_NAMES], EXTENSION_FUNCTIONS).parse();
}

export function evaluateExpression(
  expression: string,
  scope: EvaluationScope,
  where: string,
): data.ExpressionData {
  let tree;
  try {
    tree = parseExpression(expression);
  } catch (error) {
    throw new Error(`${where}: cannot parse expression \`${expression}\`: ${(error as Error).message}`);
  }
  try {
    return new Evaluator(tree, contextDictionary(scope), functionsFor(scope.status, where)).evaluate();
  } catch (error) {
    if ((error as Error).name === 'WorkflowHarnessError') throw error;
    throw new Error(`${where}: evaluating \`${expression}\` failed: ${(error as Error).message}`);
  }
}

export function evaluateCondition(
  token: BasicExpressionToken,
  scope: EvaluationScope,
  where: string,
): boolean {
  return !isFalsy(evaluateExpression(token.expression, scope, where));
}

function isFalsy(value: data.ExpressionData): boolean {
  switch (value.kind) {
    case data.Kind.Null:
      return true;
    case data.Kind.Boolean:
      return !(value as data.BooleanData).value;
    case data.Kind.Number: {
      const n = (value as data.NumberData).value;
      return n === 0 || Number.isNaN(n);
    }
    case data.Kind.String:
      return (value as data.StringData).value.length === 0;
    default:
      return false;
  }
}

/** Evaluates a template token (literal, expression, mapping, sequence) to a plain value. */
export function evaluateToken(token: TemplateToken, scope: EvaluationScope, where: string): unknown {
  if (isString(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isBasicExpression(token)) {
    if (token.source?.includes('\n') && token.source.includes('${{')) {
      return evaluateMultilineString(token, scope, where);
    }
    return toPlain(evaluateExpression(token.expression, scope, where));
  }
  if (isSequence(token)) {
    const out: unknown[] = [];
    for (const item of token) out.push(evaluateToken(item, scope, where));
    return out;
  }
  if (isMapping(token)) {
    const out: Record<string, unknown> = {};
    for (const pair of token) {
      const key = evaluateToken(pair.key, scope, where);
      out[String(key)] = evaluateToken(pair.value, scope, where);
    }
    return out;
  }
  if (token.templateTokenType === 7 /* Null */) return null;
  throw unsupported(
    `template token of type ${token.typeName()} (e.g. \${{ insert }})`,
    `${where} ${describeToken(token)}`,
  );
}

/**
 * The parser builds multi-line strings from the raw YAML source (indentation kept, `>` not folded): that serves an
 * editor, not a runner. Re-read the YAML value and substitute each `${{ }}` segment into it like GitHub does.
 */
function evaluateMultilineString(token: BasicExpressionToken, scope: EvaluationScope, where: string): string {
  const source = token.source ?? '';
  const value: unknown = parseYaml(
    token.blockScalarHeader ? `${token.blockScalarHeader}\n${source}` : source,
  );
  if (typeof value !== 'string') {
    throw unsupported(
      'a multi-line value with expressions that is not a plain string',
      `${where} ${describeToken(token)}`,
    );
  }
  let out = '';
  let index = 0;
  while (index < value.length) {
    const start = value.indexOf('${{', index);
    if (start < 0) {
      out += value.slice(index);
      break;
    }
    out += value.slice(index, start);
    const end = findExpressionEnd(value, start + 3);
    if (end < 0) throw new Error(`${where}: unclosed \${{ in multi-line value`);
    const expression = value.slice(start + 3, end - 1).trim();
    out += evaluateExpression(expression, scope, where).coerceString();
    index = end + 1;
  }
  return out;
}

/** Index of the second `}` closing an expression, skipping single-quoted strings like the parser does. */
function findExpressionEnd(text: string, from: number): number {
  let inString = false;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "'") inString = !inString;
    else if (!inString && text[i] === '}' && text[i - 1] === '}') return i;
  }
  return -1;
}
