/** One tool call the scripted model makes (a `tool_use` content block). */
export interface ScriptedToolCall {
  name: string;
  input: Record<string, unknown>;
  /** Defaults to a fresh `toolu_…` id. */
  id?: string;
}

/** How the scripted model answers one main-loop request (`delayMs` waits before answering). */
export type ScriptedTurn = ScriptedTurnBody & { delayMs?: number };

export type ScriptedTurnBody =
  /** A final answer: `stop_reason: end_turn`. */
  | { kind: 'text'; text: string; thinking?: string }
  /** One or more tool calls (optionally after some text): `stop_reason: tool_use`. */
  | { kind: 'tool_use'; calls: ScriptedToolCall[]; text?: string }
  /** Accepts the request and never answers until the server closes. */
  | { kind: 'stall' }
  /** Starts streaming (headers, `message_start`, some text), then destroys the socket. */
  | { kind: 'crash'; partialText?: string }
  /** An Anthropic error response (`{"type":"error","error":{type,message}}`). */
  | { kind: 'http_error'; status: number; errorType?: string; message?: string };

/** A `tool_result` block the CLI sent back, with its content flattened to text. */
export interface ToolResult {
  toolUseId: string;
  isError: boolean;
  text: string;
  /** The block as sent. */
  raw: unknown;
}

/** Which rule classified a request (see `classifyRequest`). */
export type RequestKind = 'main' | 'side' | 'count_tokens' | 'probe' | 'other';

export interface RecordedModelRequest {
  /** Position among all requests the server received. */
  index: number;
  method: string;
  /** Path and query, e.g. `/v1/messages?beta=true`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received (UTF-8). */
  body: string;
  /** The body parsed as JSON, when it was JSON. */
  json?: unknown;
  kind: RequestKind;
  /** For main-loop requests: which script turn answered it (0-based). */
  turnIndex?: number;
}

export interface TurnContext {
  /** 0-based index of this main-loop request. */
  turnIndex: number;
  request: RecordedModelRequest;
  /** The parsed Messages API body. */
  body: MessagesRequestBody;
  /** `tool_result` blocks of the last user message: the answers to the previous turn's tool calls. */
  toolResults: ToolResult[];
}

export type TurnSource = ScriptedTurn | ((ctx: TurnContext) => ScriptedTurn);

/** The part of a Messages API request body the server looks at. */
export interface MessagesRequestBody {
  model?: string;
  stream?: boolean;
  tools?: unknown[];
  system?: unknown;
  messages?: { role: string; content: unknown }[];
}
