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

/** Splits a byte stream into complete lines; a partial last line waits for more data. */
export class LineSplitter {
  private pending = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    const text = this.pending + chunk;
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') this.onLine(line);
  }
  flush(): void {
    if (this.pending.trim() !== '') this.onLine(this.pending);
    this.pending = '';
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
