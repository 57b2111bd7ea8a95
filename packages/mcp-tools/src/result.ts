import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * A tool result: `structuredContent` for programs, and the same JSON after a one-line summary in the
 * text block, which is what an agent actually reads.
 */
export function toolResult(
  summary: string,
  structured: Record<string, unknown>,
  isError = false,
): CallToolResult {
  return {
    content: [{ type: 'text', text: `${summary}\n\n${JSON.stringify(structured, null, 2)}` }],
    structuredContent: structured,
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
