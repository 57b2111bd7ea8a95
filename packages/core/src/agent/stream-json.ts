import { z } from 'zod';

/** One line of `claude --output-format stream-json --verbose`; only `type` is relied upon. */
export const streamEventSchema = z.looseObject({ type: z.string(), subtype: z.string().optional() });
export type StreamEvent = z.infer<typeof streamEventSchema>;

/** The final `result` event. */
export const resultEventSchema = z.looseObject({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean().optional(),
  result: z.string().optional(),
  num_turns: z.number().optional(),
  total_cost_usd: z.number().optional(),
  duration_ms: z.number().optional(),
});
export type ResultEvent = z.infer<typeof resultEventSchema>;

export function parseStreamLine(line: string): StreamEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = streamEventSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** Longest line kept (UTF-16 units). Claude Code's largest events (big tool results) stay far below it. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Splits a byte stream into complete lines; a partial last line waits for more data. Linear in the
 * input and bounded in memory: a line longer than `maxLineChars` (a hostile or broken agent printing
 * without newlines) is dropped whole, and `onOversized` learns how long it was.
 */
export class LineSplitter {
  private parts: string[] = [];
  private pendingChars = 0;
  /** > 0 while discarding an oversized line, up to its newline. */
  private droppedChars = 0;
  private readonly maxLineChars: number;
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly opts: { maxLineChars?: number; onOversized?: (chars: number) => void } = {},
  ) {
    this.maxLineChars = opts.maxLineChars ?? MAX_LINE_CHARS;
  }
  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      this.append(newline < 0 ? chunk.slice(start) : chunk.slice(start, newline));
      if (newline < 0) return;
      this.endLine();
      start = newline + 1;
    }
  }
  flush(): void {
    this.endLine();
  }
  private append(piece: string): void {
    if (piece === '') return;
    if (this.droppedChars > 0 || this.pendingChars + piece.length > this.maxLineChars) {
      this.droppedChars += this.pendingChars + piece.length;
      this.parts = [];
      this.pendingChars = 0;
      return;
    }
    this.parts.push(piece);
    this.pendingChars += piece.length;
  }
  private endLine(): void {
    if (this.droppedChars > 0) {
      const dropped = this.droppedChars;
      this.droppedChars = 0;
      this.opts.onOversized?.(dropped);
      return;
    }
    const line = this.parts.join('');
    this.parts = [];
    this.pendingChars = 0;
    if (line.trim() !== '') this.onLine(line);
  }
}

const SUMMARY_TEXT = 160;

function clip(text: string, max = SUMMARY_TEXT): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function contentBlocks(event: StreamEvent): Record<string, unknown>[] {
  const message = event.message as { content?: unknown } | undefined;
  return Array.isArray(message?.content) ? (message.content as Record<string, unknown>[]) : [];
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : ''))
      .join(' ');
  }
  return '';
}

/** Short human lines for the Actions log (the transcript file keeps everything). */
export function summariseEvent(event: StreamEvent): string[] {
  switch (event.type) {
    case 'system':
      if (event.subtype === 'init') {
        const servers = Array.isArray(event.mcp_servers)
          ? (event.mcp_servers as { name?: string; status?: string }[])
              .map((s) => `${s.name}:${s.status}`)
              .join(', ')
          : '';
        return [`session started (model ${String(event.model ?? '?')}; mcp ${servers || 'none'})`];
      }
      return [];
    case 'assistant':
      return contentBlocks(event).flatMap((block) => {
        if (block.type === 'text' && typeof block.text === 'string' && block.text.trim()) {
          return [`assistant: ${clip(block.text)}`];
        }
        if (block.type === 'tool_use')
          return [`tool ${String(block.name)} ${clip(JSON.stringify(block.input ?? {}))}`];
        return [];
      });
    case 'user':
      return contentBlocks(event).flatMap((block) =>
        block.type === 'tool_result'
          ? [
              `${block.is_error === true ? 'tool error' : 'tool result'}: ${clip(toolResultText(block.content))}`,
            ]
          : [],
      );
    case 'result': {
      const cost =
        typeof event.total_cost_usd === 'number' ? ` cost $${event.total_cost_usd.toFixed(4)}` : '';
      return [`result ${String(event.subtype)} after ${String(event.num_turns ?? '?')} turns${cost}`];
    }
    default:
      return [];
  }
}
