import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AssistantBlock,
  type AssistantMessage,
  errorBody,
  errorTypeFor,
  estimateTokens,
  messageJson,
  messageStartEvent,
  newId,
  sseEvent,
  streamEvents,
  toolUseBlock,
} from './messages.js';
import type {
  MessagesRequestBody,
  RecordedModelRequest,
  RequestKind,
  ScriptedTurn,
  ToolResult,
  TurnContext,
  TurnSource,
} from './types.js';

export interface ScriptedModelOptions {
  /**
   * Answers to main-loop requests, in order; or a function deciding each answer (return undefined
   * to fall through to `whenExhausted`).
   */
  script: readonly TurnSource[] | ((ctx: TurnContext) => ScriptedTurn | undefined);
  /** The answer once the script is exhausted (default: a final text turn, "Done."). */
  whenExhausted?: TurnSource;
  /** Text of answers to side requests (title/summary generation and the like). */
  sideText?: string;
}

export interface ScriptedModel {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every request received, in order (recorded before it is answered). */
  readonly requests: readonly RecordedModelRequest[];
  /** The main-loop requests only. */
  mainRequests(): RecordedModelRequest[];
  /** Resolves once `count` main-loop requests have arrived. */
  waitForMainRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Ends stalled responses and open connections, then stops listening. */
  close(): Promise<void>;
}

/**
 * Which requests consume script turns, for Claude Code 2.1.197 (found by recording what it sends):
 * - `POST /v1/messages` with a non-empty `tools` array is a main-loop request (the agent loop always
 *   offers its tools; a subagent started with the Task tool would count too);
 * - `POST /v1/messages` without tools is a side request (title/summary/classifier calls use a small
 *   model and no tools) and gets a short text answer;
 * - `POST /v1/messages/count_tokens` gets a token estimate;
 * - `HEAD`/`GET` (the CLI probes `HEAD /` for connectivity) get an empty 200;
 * - anything else is a 404 in Anthropic's error format.
 */
export function classifyRequest(method: string, url: string, json: unknown): RequestKind {
  const path = url.split('?')[0] ?? url;
  if (method === 'HEAD' || method === 'GET') return 'probe';
  if (method !== 'POST') return 'other';
  if (path === '/v1/messages/count_tokens') return 'count_tokens';
  if (path !== '/v1/messages') return 'other';
  const tools = (json as MessagesRequestBody | undefined)?.tools;
  return Array.isArray(tools) && tools.length > 0 ? 'main' : 'side';
}

/** The tool_result blocks of the last user message, content flattened to text. */
export function toolResultsOf(body: MessagesRequestBody): ToolResult[] {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  if (!last || !Array.isArray(last.content)) return [];
  const results: ToolResult[] = [];
  for (const block of last.content as Record<string, unknown>[]) {
    if (block?.type !== 'tool_result') continue;
    results.push({
      toolUseId: String(block.tool_use_id ?? ''),
      isError: block.is_error === true,
      text: flattenContent(block.content),
      raw: block,
    });
  }
  return results;
}

function flattenContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { type?: string; text?: string }) => (part?.type === 'text' ? (part.text ?? '') : ''))
    .join('\n');
}

const DEFAULT_FINAL: ScriptedTurn = { kind: 'text', text: 'Done.' };

/** Starts the scripted Anthropic Messages API server on 127.0.0.1 (random port). */
export async function startScriptedModel(options: ScriptedModelOptions): Promise<ScriptedModel> {
  const requests: RecordedModelRequest[] = [];
  let mainCount = 0;
  const waiters = new Set<() => void>();
  const stalled = new Set<ServerResponse>();

  function nextTurn(ctx: TurnContext): ScriptedTurn {
    const { script } = options;
    let source: TurnSource | undefined;
    if (typeof script === 'function') source = script(ctx);
    else source = script[ctx.turnIndex];
    source ??= options.whenExhausted ?? DEFAULT_FINAL;
    return typeof source === 'function' ? source(ctx) : source;
  }

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const kind = classifyRequest(req.method ?? 'GET', req.url ?? '/', json);
      const record: RecordedModelRequest = {
        index: requests.length,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: { ...req.headers },
        body,
        ...(json === undefined ? {} : { json }),
        kind,
      };
      requests.push(record);
      try {
        answer(record, json as MessagesRequestBody | undefined, req, res);
      } catch (error) {
        sendJson(res, 500, errorBody('api_error', `scripted model failed: ${(error as Error).message}`));
      }
    });
  });

  function answer(
    record: RecordedModelRequest,
    body: MessagesRequestBody | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    switch (record.kind) {
      case 'probe':
        res.writeHead(200).end();
        return;
      case 'count_tokens':
        sendJson(res, 200, { input_tokens: estimateTokens(record.body) });
        return;
      case 'other':
        sendJson(
          res,
          404,
          errorBody('not_found_error', `scripted model: no route ${record.method} ${record.url}`),
        );
        return;
      case 'side':
        sendMessage(res, body!, record, [{ type: 'text', text: options.sideText ?? 'OK' }], 'end_turn');
        return;
      case 'main':
        break;
    }
    const turnIndex = mainCount++;
    record.turnIndex = turnIndex;
    for (const wake of waiters) wake();
    const turn = nextTurn({ turnIndex, request: record, body: body!, toolResults: toolResultsOf(body!) });
    if (turn.delayMs && turn.delayMs > 0) {
      // Held like a stall so close() can end it; answered later unless the client went away.
      stalled.add(res);
      const timer = setTimeout(() => {
        stalled.delete(res);
        if (!res.destroyed) play(turn, record, body!, req, res);
      }, turn.delayMs);
      res.on('close', () => {
        clearTimeout(timer);
        stalled.delete(res);
      });
      return;
    }
    play(turn, record, body!, req, res);
  }

  function play(
    turn: ScriptedTurn,
    record: RecordedModelRequest,
    body: MessagesRequestBody,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    switch (turn.kind) {
      case 'text': {
        const blocks: AssistantBlock[] = [];
        if (turn.thinking)
          blocks.push({ type: 'thinking', thinking: turn.thinking, signature: 'c2NyaXB0ZWQ=' });
        blocks.push({ type: 'text', text: turn.text });
        sendMessage(res, body, record, blocks, 'end_turn');
        return;
      }
      case 'tool_use': {
        const blocks: AssistantBlock[] = [];
        if (turn.text) blocks.push({ type: 'text', text: turn.text });
        blocks.push(...turn.calls.map(toolUseBlock));
        sendMessage(res, body, record, blocks, 'tool_use');
        return;
      }
      case 'stall':
        stalled.add(res);
        res.on('close', () => stalled.delete(res));
        return;
      case 'crash': {
        const message = assistantMessage(
          body,
          record,
          [{ type: 'text', text: turn.partialText ?? '' }],
          'end_turn',
        );
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const head =
          messageStartEvent(message) +
          sseEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
          sseEvent('content_block_delta', {
            index: 0,
            delta: { type: 'text_delta', text: turn.partialText ?? 'Let' },
          });
        res.write(head, () => req.socket.destroy());
        return;
      }
      case 'http_error':
        sendJson(
          res,
          turn.status,
          errorBody(
            turn.errorType ?? errorTypeFor(turn.status),
            turn.message ?? `scripted HTTP ${turn.status}`,
          ),
        );
        return;
    }
  }

  function assistantMessage(
    body: MessagesRequestBody,
    record: RecordedModelRequest,
    content: AssistantBlock[],
    stopReason: AssistantMessage['stopReason'],
  ): AssistantMessage {
    return {
      id: newId('msg'),
      model: body.model ?? 'claude-scripted',
      content,
      stopReason,
      inputTokens: estimateTokens(record.body),
      outputTokens: estimateTokens(JSON.stringify(content)),
    };
  }

  function sendMessage(
    res: ServerResponse,
    body: MessagesRequestBody,
    record: RecordedModelRequest,
    content: AssistantBlock[],
    stopReason: AssistantMessage['stopReason'],
  ): void {
    const message = assistantMessage(body, record, content, stopReason);
    if (body.stream !== true) {
      sendJson(res, 200, messageJson(message));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const event of streamEvents(message)) res.write(event);
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    mainRequests: () => requests.filter((r) => r.kind === 'main'),
    waitForMainRequests(count, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        if (mainCount >= count) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`scripted model: ${mainCount}/${count} main-loop requests after ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (mainCount < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    async close() {
      for (const res of stalled) res.destroy();
      stalled.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
