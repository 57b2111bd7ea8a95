import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * A tool result: `structuredContent`, and a text block with a one-line summary and the same JSON.
 * The summary is also the first field of `structuredContent`: Claude Code 2.1 shows the model the
 * structured JSON instead of the text when a successful result has both.
 */
export function toolResult(
  summary: string,
  structured: Record<string, unknown>,
  isError = false,
): CallToolResult {
  const withSummary = { summary, ...structured };
  return {
    content: [{ type: 'text', text: `${summary}\n\n${JSON.stringify(withSummary, null, 2)}` }],
    structuredContent: withSummary,
    ...(isError ? { isError: true } : {}),
  };
}

export function toolError(message: string, structured: Record<string, unknown> = {}): CallToolResult {
  return toolResult(`Error: ${message}`, { error: message, ...structured }, true);
}

/** Runs a handler, turning anything it throws into an `isError` result instead of a protocol error. */
export async function guarded(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (error) {
    return toolError(error instanceof Error ? error.message : String(error));
  }
}
