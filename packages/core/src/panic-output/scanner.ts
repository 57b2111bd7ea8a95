import { StringDecoder } from 'node:string_decoder';
import { parseBacktraceLine } from './backtrace.js';
import { parseLocation } from './location.js';
import type { BacktraceFrame, SourceLocation } from './types.js';

/** Longest line kept; the rest of a longer line is dropped (the tail of a 10 MB line says nothing). */
const MAX_LINE = 16 * 1024;
const MAX_MESSAGE_LINES = 60;
const MAX_FRAMES = 300;
const MAX_RAW_LINES = 40;
const MAX_FINDINGS = 4;

export type OutputStream = 'stdout' | 'stderr';

export interface RustPanicFinding {
  thread: string;
  location?: SourceLocation;
  messageLines: string[];
  legacy: boolean;
  frames: BacktraceFrame[];
  raw: string[];
}

export interface HookFinding {
  messageLines: string[];
  frames: BacktraceFrame[];
  raw: string[];
}

export interface TextFinding {
  lines: string[];
  raw: string[];
}

export interface CompileFinding {
  message: string;
  location?: SourceLocation;
  raw: string[];
}

/** Everything recognised in a run's output; bounded whatever the output size. */
export interface OutputFindings {
  rustPanics: RustPanicFinding[];
  hooks: HookFinding[];
  /** Turso's `Error: failed with error: '…'` (stderr, after main returns the error). */
  simulatorError?: TextFinding;
  simulationFailed?: TextFinding;
  integrityFailed?: TextFinding;
  compileErrors: CompileFinding[];
  /** A `error: …` line from cargo itself (before it ran the program): missing package, bad manifest… */
  cargoError?: CompileFinding;
  cargoActivity: boolean;
  abortMarker?: string;
}

// eslint-disable-next-line no-control-regex -- ANSI escape sequences are control characters by definition.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
const TIMESTAMP = String.raw`(?:\d{4}-\d\d-\d\d[T ]\S+\s+)?`;
const TRACING_LINE = new RegExp(String.raw`^\s*${TIMESTAMP}(?:TRACE|DEBUG|INFO|WARN|ERROR)\s`);
/** `LEVEL [span{…}:]* target: [line: ]` as printed by tracing-subscriber's fmt layer. */
const TRACING_PREFIX = new RegExp(
  String.raw`^\s*${TIMESTAMP}(?:TRACE|DEBUG|INFO|WARN|ERROR)\s+(?:[\w:]+(?:\{.*?\})?:)*\s*[A-Za-z_][\w:]*:\s(?:\d+:\s)?`,
);

const RUST_PANIC = /^thread '(.*?)'(?: \(\d+\))? panicked at (.+):(\d+):(\d+):\s*$/;
const RUST_PANIC_LEGACY_ONE_LINE = /^thread '(.*?)'(?: \(\d+\))? panicked at '(.*)', (\S+?):(\d+):(\d+)\s*$/;
const RUST_PANIC_LEGACY_START = /^thread '(.*?)'(?: \(\d+\))? panicked at '(.*)$/;
const RUST_PANIC_LEGACY_END = /^(.*)', (\S+?):(\d+):(\d+)\s*$/;
const HOOK_PANIC = /(?:^|:\s)panic occurred\s*$/;
const CAPTURED_BACKTRACE = /captured backtrace:\s*$/;
const SIMULATOR_ERROR = /^Error: failed with error: '(.*)$/;
const SIMULATION_FAILED = /simulation failed:\s?(.*)$/;
const INTEGRITY_FAILED = /integrity check failed:?\s?(.*)$/;
/** Checked in this order; the first line of each kind is kept, with its continuation lines. */
const TEXT_FINDINGS = [
  [SIMULATOR_ERROR, 'simulatorError'],
  [INTEGRITY_FAILED, 'integrityFailed'],
  [SIMULATION_FAILED, 'simulationFailed'],
] as const;
const RUSTC_ERROR = /^error\[E\d+\]: (.*)$/;
const COULD_NOT_COMPILE = /^error: (could not compile .*)$/;
const GENERIC_ERROR = /^error: (.*)$/;
const DIAGNOSTIC_LOCATION = /^\s*--> (.+?)\s*$/;
const CARGO_STATUS =
  /^\s+(?:Compiling|Finished|Blocking|Updating|Downloading|Downloaded|Locking|Checking|Building|Fresh|Adding)\s/;
const CARGO_RUNNING = /^\s+Running `/;
const ABORT_MARKER =
  /(fatal runtime error:.*|thread caused non-unwinding panic\. aborting\.|panic in a function that cannot unwind.*)$/;

type Mode =
  | { name: 'idle' }
  | { name: 'rust-message'; finding: RustPanicFinding }
  | { name: 'rust-legacy'; finding: RustPanicFinding }
  | { name: 'backtrace'; frames: BacktraceFrame[]; raw: string[] }
  | { name: 'hook-payload'; finding: HookFinding; header: string; started: boolean }
  | { name: 'continuation'; finding: TextFinding }
  | { name: 'diagnostic'; finding: CompileFinding; linesLeft: number };

const IDLE: Mode = { name: 'idle' };

class StreamState {
  readonly decoder = new StringDecoder('utf8');
  partial = '';
  truncated = false;
  mode: Mode = IDLE;
  running = false;
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  if (list.length < max) list.push(item);
}

function clip(line: string): string {
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/** Strips the tracing prefix of the payload line the same way the `panic occurred` line was prefixed. */
export function stripTracingPrefix(line: string, header = ''): string {
  const head = header.replace(/panic occurred\s*$/, '').replace(/\d+:\s*$/, '');
  if (head.trim() && line.startsWith(head)) {
    const rest = line.slice(head.length);
    return rest.replace(/^\d+:\s?/, '');
  }
  const prefix = TRACING_PREFIX.exec(line);
  return prefix ? line.slice(prefix[0].length) : line;
}

export function isTracingLine(line: string): boolean {
  return TRACING_LINE.test(line);
}

/**
 * Reads a run's stdout and stderr as they stream, line by line, keeping only what identifies a
 * failure: the first panics with their messages and backtraces, the simulator's error lines and
 * compiler diagnostics. Memory stays bounded however much the program prints.
 */
export class PanicOutputScanner {
  private readonly streams: Record<OutputStream, StreamState> = {
    stdout: new StreamState(),
    stderr: new StreamState(),
  };
  readonly findings: OutputFindings = { rustPanics: [], hooks: [], compileErrors: [], cargoActivity: false };
  private ended = false;

  write(stream: OutputStream, chunk: string | Buffer): void {
    if (this.ended) throw new Error('PanicOutputScanner: write after end');
    const state = this.streams[stream];
    const text = typeof chunk === 'string' ? chunk : state.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline === -1) break;
      this.appendPartial(state, text.slice(start, newline));
      this.takeLine(state);
      start = newline + 1;
    }
    this.appendPartial(state, text.slice(start));
  }

  /** Flushes unterminated last lines; call once, after both streams closed. */
  end(): OutputFindings {
    if (!this.ended) {
      for (const state of Object.values(this.streams)) {
        this.appendPartial(state, state.decoder.end());
        if (state.partial !== '' || state.truncated) this.takeLine(state);
      }
      this.ended = true;
    }
    return this.findings;
  }

  private appendPartial(state: StreamState, text: string): void {
    if (state.truncated || text === '') return;
    state.partial += text;
    if (state.partial.length > MAX_LINE) {
      state.partial = state.partial.slice(0, MAX_LINE);
      state.truncated = true;
    }
  }

  private takeLine(state: StreamState): void {
    const line = state.partial.replace(ANSI, '').replace(/\r$/, '');
    state.partial = '';
    state.truncated = false;
    this.handle(state, line);
  }

  private handle(state: StreamState, line: string): void {
    const mode = state.mode;
    switch (mode.name) {
      case 'rust-message':
        if (/^note: /.test(line)) {
          state.mode = IDLE;
          return;
        }
        if (/^stack backtrace:\s*$/.test(line)) {
          pushBounded(mode.finding.raw, clip(line), MAX_RAW_LINES);
          state.mode = { name: 'backtrace', frames: mode.finding.frames, raw: mode.finding.raw };
          return;
        }
        if (this.startsSomething(line)) break;
        pushBounded(mode.finding.messageLines, line, MAX_MESSAGE_LINES);
        pushBounded(mode.finding.raw, clip(line), MAX_RAW_LINES);
        return;
      case 'rust-legacy': {
        pushBounded(mode.finding.raw, clip(line), MAX_RAW_LINES);
        const end = RUST_PANIC_LEGACY_END.exec(line);
        if (end) {
          pushBounded(mode.finding.messageLines, end[1]!, MAX_MESSAGE_LINES);
          mode.finding.location = { file: end[2]!, line: Number(end[3]), column: Number(end[4]) };
          state.mode = IDLE;
          return;
        }
        mode.finding.messageLines.push(line);
        // A quote that never closes is not a legacy panic message after all.
        if (mode.finding.messageLines.length > MAX_MESSAGE_LINES) state.mode = IDLE;
        return;
      }
      case 'backtrace': {
        const parsed = parseBacktraceLine(line);
        if (!parsed) break;
        pushBounded(mode.raw, clip(line), MAX_RAW_LINES);
        if (parsed.type === 'frame') {
          pushBounded(mode.frames, { index: parsed.index, fn: parsed.fn }, MAX_FRAMES);
        } else {
          const last = mode.frames[mode.frames.length - 1];
          if (last && last.file === undefined) {
            last.file = parsed.file;
            last.line = parsed.line;
            if (parsed.column !== undefined) last.column = parsed.column;
          }
        }
        return;
      }
      case 'hook-payload':
        if (CAPTURED_BACKTRACE.test(line)) {
          pushBounded(mode.finding.raw, clip(line), MAX_RAW_LINES);
          state.mode = { name: 'backtrace', frames: mode.finding.frames, raw: mode.finding.raw };
          return;
        }
        if (!mode.started) {
          mode.started = true;
          mode.finding.messageLines.push(stripTracingPrefix(line, mode.header));
          pushBounded(mode.finding.raw, clip(line), MAX_RAW_LINES);
          return;
        }
        if (isTracingLine(line) || this.startsSomething(line)) break;
        pushBounded(mode.finding.messageLines, line, MAX_MESSAGE_LINES);
        pushBounded(mode.finding.raw, clip(line), MAX_RAW_LINES);
        return;
      case 'continuation':
        if (isTracingLine(line) || this.startsSomething(line)) break;
        pushBounded(mode.finding.lines, line, MAX_MESSAGE_LINES);
        pushBounded(mode.finding.raw, clip(line), MAX_RAW_LINES);
        return;
      case 'diagnostic': {
        const location = DIAGNOSTIC_LOCATION.exec(line);
        if (location) {
          mode.finding.location ??= parseLocation(location[1]!);
          pushBounded(mode.finding.raw, clip(line), MAX_RAW_LINES);
          state.mode = IDLE;
          return;
        }
        if (--mode.linesLeft > 0 && !this.startsSomething(line)) return;
        break;
      }
      case 'idle':
        break;
    }
    state.mode = IDLE;
    this.handleIdle(state, line);
  }

  /** Whether this line opens a new block (so it must not be swallowed as a continuation). */
  private startsSomething(line: string): boolean {
    return (
      RUST_PANIC.test(line) ||
      RUST_PANIC_LEGACY_START.test(line) ||
      HOOK_PANIC.test(line) ||
      SIMULATOR_ERROR.test(line) ||
      RUSTC_ERROR.test(line) ||
      CARGO_RUNNING.test(line)
    );
  }

  private handleIdle(state: StreamState, line: string): void {
    const f = this.findings;
    let match: RegExpExecArray | null;

    if ((match = RUST_PANIC.exec(line))) {
      const finding = this.newRustPanic(match[1]!, false, line);
      finding.location = { file: match[2]!, line: Number(match[3]), column: Number(match[4]) };
      state.mode = { name: 'rust-message', finding };
      return;
    }
    if ((match = RUST_PANIC_LEGACY_ONE_LINE.exec(line))) {
      const finding = this.newRustPanic(match[1]!, true, line);
      finding.messageLines.push(match[2]!);
      finding.location = { file: match[3]!, line: Number(match[4]), column: Number(match[5]) };
      return;
    }
    if ((match = RUST_PANIC_LEGACY_START.exec(line))) {
      const finding = this.newRustPanic(match[1]!, true, line);
      finding.messageLines.push(match[2]!);
      state.mode = { name: 'rust-legacy', finding };
      return;
    }
    if (HOOK_PANIC.test(line)) {
      const finding: HookFinding = { messageLines: [], frames: [], raw: [clip(line)] };
      pushBounded(f.hooks, finding, MAX_FINDINGS);
      state.mode = { name: 'hook-payload', finding, header: line, started: false };
      return;
    }
    if (CAPTURED_BACKTRACE.test(line)) {
      // A backtrace logged apart from its payload still belongs to the last hook block.
      const last = f.hooks[f.hooks.length - 1];
      if (last && last.frames.length === 0) {
        pushBounded(last.raw, clip(line), MAX_RAW_LINES);
        state.mode = { name: 'backtrace', frames: last.frames, raw: last.raw };
      }
      return;
    }
    for (const [pattern, key] of TEXT_FINDINGS) {
      if ((match = pattern.exec(line))) {
        if (!f[key]) {
          const finding: TextFinding = { lines: [match[1]!], raw: [clip(line)] };
          f[key] = finding;
          state.mode = { name: 'continuation', finding };
        }
        return;
      }
    }
    if (CARGO_RUNNING.test(line)) {
      state.running = true;
      f.cargoActivity = true;
      return;
    }
    if (CARGO_STATUS.test(line)) {
      if (!state.running) f.cargoActivity = true;
      return;
    }
    // Compiler and cargo errors only count before cargo started the program.
    if (!state.running) {
      if ((match = RUSTC_ERROR.exec(line)) || (match = COULD_NOT_COMPILE.exec(line))) {
        const finding: CompileFinding = { message: line, raw: [clip(line)] };
        pushBounded(f.compileErrors, finding, MAX_FINDINGS);
        state.mode = { name: 'diagnostic', finding, linesLeft: 3 };
        return;
      }
      if ((match = GENERIC_ERROR.exec(line))) {
        f.cargoError ??= { message: line, raw: [clip(line)] };
        return;
      }
    }
    if ((match = ABORT_MARKER.exec(line))) {
      f.abortMarker ??= match[1]!;
    }
  }

  private newRustPanic(thread: string, legacy: boolean, header: string): RustPanicFinding {
    const finding: RustPanicFinding = { thread, messageLines: [], legacy, frames: [], raw: [clip(header)] };
    pushBounded(this.findings.rustPanics, finding, MAX_FINDINGS);
    return finding;
  }
}
