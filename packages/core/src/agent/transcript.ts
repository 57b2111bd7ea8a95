import { createWriteStream, type WriteStream } from 'node:fs';

export const DEFAULT_TRANSCRIPT_LIMIT = 50 * 1024 * 1024;

/**
 * The full stream-json transcript, one event per line, capped at `limitBytes`: past the cap whole
 * lines are dropped after a single marker line, except the final `result` event, which is always kept
 * so the file still says how the run ended.
 */
export class TranscriptWriter {
  private readonly stream: WriteStream;
  private written = 0;
  private truncated = false;
  private dropped = 0;

  constructor(
    readonly file: string,
    private readonly limitBytes = DEFAULT_TRANSCRIPT_LIMIT,
  ) {
    this.stream = createWriteStream(file, { flags: 'w', mode: 0o600 });
    this.stream.on('error', () => undefined);
  }

  get isTruncated(): boolean {
    return this.truncated;
  }

  /** Writes one line (without its newline). `keep` lines bypass the cap. */
  line(text: string, keep = false): void {
    const bytes = Buffer.byteLength(text) + 1;
    if (!keep && (this.truncated || this.written + bytes > this.limitBytes)) {
      if (!this.truncated) {
        this.truncated = true;
        this.raw(
          JSON.stringify({
            type: 'panic_fix_transcript_truncated',
            limit_bytes: this.limitBytes,
            note: 'later lines dropped; the result event is kept',
          }),
        );
      }
      this.dropped++;
      return;
    }
    this.raw(text);
  }

  private raw(text: string): void {
    this.written += Buffer.byteLength(text) + 1;
    this.stream.write(`${text}\n`);
  }

  close(): Promise<{ droppedLines: number }> {
    return new Promise((resolve) => this.stream.end(() => resolve({ droppedLines: this.dropped })));
  }
}
