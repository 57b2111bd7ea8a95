import { randomBytes } from 'node:crypto';
import type { ScriptedToolCall } from './types.js';

/** A content block of an assistant message as the Messages API returns it. */
export type AssistantBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface AssistantMessage {
  id: string;
  model: string;
  content: AssistantBlock[];
  stopReason: 'end_turn' | 'tool_use';
  inputTokens: number;
  outputTokens: number;
}

export function newId(prefix: 'msg' | 'toolu'): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

export function toolUseBlock(call: ScriptedToolCall): AssistantBlock {
  return { type: 'tool_use', id: call.id ?? newId('toolu'), name: call.name, input: call.input };
}

/** Rough but stable token estimate, so cost parsing has something non-zero to read. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function usage(message: AssistantMessage, outputTokens: number) {
  return {
    input_tokens: message.inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
  };
}

/** The non-streaming JSON body (`stream: false`). */
export function messageJson(message: AssistantMessage): unknown {
  return {
    id: message.id,
    type: 'message',
    role: 'assistant',
    model: message.model,
    content: message.content,
    stop_reason: message.stopReason,
    stop_sequence: null,
    usage: usage(message, message.outputTokens),
  };
}

export function sseEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

export function messageStartEvent(message: AssistantMessage): string {
  return sseEvent('message_start', {
    message: {
      id: message.id,
      type: 'message',
      role: 'assistant',
      model: message.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usage(message, 1),
    },
  });
}

/** Splits a string into a few pieces so deltas arrive as several events, as they do for real. */
function chunks(text: string, size = 64): string[] {
  if (text.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The block events of one content block: start, deltas, stop. */
export function blockEvents(block: AssistantBlock, index: number): string[] {
  const events: string[] = [];
  switch (block.type) {
    case 'text':
      events.push(sseEvent('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const piece of chunks(block.text)) {
        events.push(sseEvent('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
      }
      break;
    case 'thinking':
      events.push(
        sseEvent('content_block_start', {
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        }),
      );
      for (const piece of chunks(block.thinking)) {
        events.push(
          sseEvent('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } }),
        );
      }
      events.push(
        sseEvent('content_block_delta', {
          index,
          delta: { type: 'signature_delta', signature: block.signature },
        }),
      );
      break;
    case 'tool_use':
      events.push(
        sseEvent('content_block_start', {
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        }),
      );
      for (const piece of chunks(JSON.stringify(block.input))) {
        events.push(
          sseEvent('content_block_delta', {
            index,
            delta: { type: 'input_json_delta', partial_json: piece },
          }),
        );
      }
      break;
  }
  events.push(sseEvent('content_block_stop', { index }));
  return events;
}

/** Every SSE event of a complete streamed message, in order. */
export function streamEvents(message: AssistantMessage): string[] {
  return [
    messageStartEvent(message),
    ...message.content.flatMap((block, index) => blockEvents(block, index)),
    sseEvent('message_delta', {
      delta: { stop_reason: message.stopReason, stop_sequence: null },
      usage: { output_tokens: message.outputTokens },
    }),
    sseEvent('message_stop', {}),
  ];
}

export function errorBody(errorType: string, message: string): unknown {
  return { type: 'error', error: { type: errorType, message } };
}

/** The error type Anthropic uses for a status. */
export function errorTypeFor(status: number): string {
  if (status === 529) return 'overloaded_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 401) return 'authentication_error';
  if (status === 400) return 'invalid_request_error';
  if (status === 404) return 'not_found_error';
  return 'api_error';
}
