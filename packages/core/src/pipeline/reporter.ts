import type { LogEntry, PanicStore } from '../store/panic-store.js';
import type { LogLevel } from '../store/rows.js';
import type { Phase } from '../state/machine.js';

/**
 * Where a phase reports progress: the Actions log (groups, annotations, summary) in the actions,
 * the console in local mode. Phase code never talks to @actions/core directly.
 */
export interface Reporter {
  log(level: LogLevel, message: string): void;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Markdown appended to the job summary (or printed locally). */
  summary(markdown: string): void;
  /** A failure annotation (error) or warning annotation, with a title. */
  annotate(level: 'warning' | 'error', title: string, message: string): void;
  /** Marks a value as secret in everything printed afterwards. */
  mask(secret: string): void;
}

/**
 * Logs one panic's phase to both the reporter and the `logs` table. DB writes never block the phase:
 * lines are collected for up to LOG_BATCH_MS and written in one statement (each write is a commit,
 * an fsync on an embedded database), and `flush()` writes the rest and waits.
 */
export class PhaseLog {
  private pending: Promise<unknown>[] = [];
  private batch: LogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private dbErrors = 0;
  constructor(
    private readonly reporter: Reporter,
    private readonly store: PanicStore | undefined,
    readonly location: string,
    public phase: Phase,
  ) {}

  write(level: LogLevel, message: string, metadata?: Record<string, unknown>): void {
    this.reporter.log(level, message);
    if (!this.store) return;
    this.batch.push({
      panic_location: this.location,
      phase: this.phase,
      level,
      message,
      timestamp: new Date().toISOString(),
      ...(metadata ? { metadata } : {}),
    });
    if (!this.timer) {
      this.timer = setTimeout(() => this.writeBatch(), LOG_BATCH_MS);
      this.timer.unref();
    }
  }
  info(message: string, metadata?: Record<string, unknown>) {
    this.write('info', message, metadata);
  }
  warn(message: string, metadata?: Record<string, unknown>) {
    this.write('warn', message, metadata);
  }
  error(message: string, metadata?: Record<string, unknown>) {
    this.write('error', message, metadata);
  }

  private writeBatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const entries = this.batch;
    this.batch = [];
    if (entries.length === 0 || !this.store) return;
    this.pending.push(
      this.store.logMany(entries).catch((error: unknown) => {
        if (this.dbErrors++ === 0)
          this.reporter.log('warn', `could not write logs to the database: ${(error as Error).message}`);
      }),
    );
  }

  async flush(): Promise<void> {
    this.writeBatch();
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
  }
}

/** How long log lines wait to be written together (they are on the console at once). */
export const LOG_BATCH_MS = 250;

/** A console reporter for local mode and tests. */
export function consoleReporter(prefix = '', out: (line: string) => void = (l) => console.log(l)): Reporter {
  const masks: string[] = [];
  const clean = (s: string) => masks.reduce((acc, m) => acc.split(m).join('***'), s);
  return {
    log: (level, message) =>
      out(clean(`${prefix}${level === 'info' ? '' : `${level.toUpperCase()}: `}${message}`)),
    group: async (title, fn) => {
      out(clean(`${prefix}▶ ${title}`));
      return fn();
    },
    summary: (markdown) => out(clean(markdown)),
    annotate: (level, title, message) => out(clean(`${prefix}${level.toUpperCase()} ${title}: ${message}`)),
    mask: (secret) => {
      if (secret) masks.push(secret);
    },
  };
}
