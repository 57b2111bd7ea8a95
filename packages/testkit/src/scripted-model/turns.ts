import type { ScriptedToolCall, ScriptedTurn } from './types.js';

/** A final text answer (`end_turn`). */
export function text(value: string, opts: { thinking?: string } = {}): ScriptedTurn {
  return { kind: 'text', text: value, ...opts };
}

/** One tool call, e.g. `toolUse('Edit', {file_path, old_string, new_string})`. */
export function toolUse(
  name: string,
  input: Record<string, unknown>,
  opts: { text?: string; id?: string } = {},
): ScriptedTurn {
  return {
    kind: 'tool_use',
    calls: [{ name, input, ...(opts.id ? { id: opts.id } : {}) }],
    ...(opts.text ? { text: opts.text } : {}),
  };
}

/** Several tool calls in one assistant message. */
export function toolUses(calls: ScriptedToolCall[], opts: { text?: string } = {}): ScriptedTurn {
  return { kind: 'tool_use', calls, ...(opts.text ? { text: opts.text } : {}) };
}

/** Never answers (until the server closes). */
export function stall(): ScriptedTurn {
  return { kind: 'stall' };
}

/** Starts streaming, then drops the connection. */
export function crash(partialText?: string): ScriptedTurn {
  return { kind: 'crash', ...(partialText === undefined ? {} : { partialText }) };
}

/** An Anthropic error response, e.g. 500 (`api_error`) or 529 (`overloaded_error`). */
export function httpError(status: number, message?: string, errorType?: string): ScriptedTurn {
  return { kind: 'http_error', status, ...(message ? { message } : {}), ...(errorType ? { errorType } : {}) };
}

/** The same turn, answered after `ms` milliseconds. */
export function delayed(ms: number, turn: ScriptedTurn): ScriptedTurn {
  return { ...turn, delayMs: ms };
}
