import { frameLocation, panicSiteFrame } from './backtrace.js';
import { normaliseSourcePath } from './location.js';
import type { OutputFindings, TextFinding } from './scanner.js';
import type { ExitStatus, FailureForm, ParsedPanicOutput, SourceLocation } from './types.js';

const MAX_EXCERPT = 4096;
const MAX_MESSAGE = 8192;

function joinMessage(lines: readonly string[]): string | undefined {
  const text = lines.join('\n').replace(/\s+$/, '');
  if (text === '') return undefined;
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/** `'msg'` → `msg`: Turso quotes the error in `simulation failed: '…'` and `failed with error: '…'`. */
function unquote(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const inner =
    trimmed.startsWith("'") && trimmed.endsWith("'") && trimmed.length >= 2 ? trimmed.slice(1, -1) : trimmed;
  return inner === '' ? undefined : inner;
}

function textOf(finding: TextFinding | undefined): string | undefined {
  return finding ? joinMessage(finding.lines) : undefined;
}

function excerptOf(raw: readonly string[] | undefined): string {
  const text = (raw ?? []).join('\n');
  return text.length > MAX_EXCERPT ? `${text.slice(0, MAX_EXCERPT)}…` : text;
}

interface PanicEvidence {
  form: FailureForm;
  location?: SourceLocation;
  locationSource?: 'panic-line' | 'backtrace';
  message?: string;
  thread?: string;
  raw: string[];
}

/** The first panic, preferring the default hook's line (exact location) over Turso's hook (backtrace). */
function panicEvidence(f: OutputFindings, repoDir?: string): PanicEvidence | undefined {
  const rust = f.rustPanics[0];
  if (rust) {
    return {
      form: rust.legacy ? 'rust-panic-legacy' : 'rust-panic',
      ...(rust.location
        ? { location: normaliseLocation(rust.location, repoDir), locationSource: 'panic-line' as const }
        : {}),
      message: joinMessage(rust.messageLines) ?? '',
      thread: rust.thread,
      raw: rust.raw,
    };
  }
  if (f.hooks.length === 0) return undefined;
  // The hook logs the panic, then catch_unwind's handler logs it again without a backtrace.
  const withMessage = f.hooks.find((hook) => hook.messageLines.length > 0) ?? f.hooks[0]!;
  const withFrames = f.hooks.find((hook) => hook.frames.length > 0);
  const site = withFrames ? panicSiteFrame(withFrames.frames, repoDir) : undefined;
  const message = joinMessage(withMessage.messageLines) ?? unquote(textOf(f.simulatorError));
  return {
    form: 'simulator-hook',
    ...(site ? { location: frameLocation(site, repoDir), locationSource: 'backtrace' as const } : {}),
    ...(message === undefined ? {} : { message }),
    raw: withFrames && withFrames !== withMessage ? [...withMessage.raw, ...withFrames.raw] : withMessage.raw,
  };
}

function normaliseLocation(location: SourceLocation, repoDir?: string): SourceLocation {
  return { ...location, file: normaliseSourcePath(location.file, repoDir) };
}

function isAbort(exit: ExitStatus): boolean {
  return exit.signal === 'SIGABRT' || exit.exitCode === 134;
}

export function classifyFindings(f: OutputFindings, exit: ExitStatus, repoDir?: string): ParsedPanicOutput {
  const failed = exit.exitCode !== 0 || exit.signal !== null;
  const panic = panicEvidence(f, repoDir);
  const compile =
    f.compileErrors.find((e) => !e.message.startsWith('error: could not compile')) ?? f.compileErrors[0];

  if (exit.timedOut) {
    return {
      kind: 'timeout',
      panicked: panic !== undefined,
      ...panicFields(panic),
      excerpt: excerptOf(panic?.raw),
    };
  }
  if (!panic && (compile || (f.cargoError && failed && (f.cargoActivity || exit.exitCode === 101)))) {
    const error = compile ?? f.cargoError!;
    return {
      kind: 'compile_error',
      panicked: false,
      form: compile ? 'rustc' : 'cargo',
      ...(error.location
        ? { location: normaliseLocation(error.location, repoDir), locationSource: 'compiler' as const }
        : {}),
      message: error.message.replace(/^error(?:\[E\d+\])?: /, ''),
      excerpt: excerptOf(f.compileErrors.flatMap((e) => e.raw).concat(compile ? [] : error.raw)),
    };
  }
  if (isAbort(exit)) {
    return {
      kind: 'abort',
      panicked: panic !== undefined,
      ...panicFields(panic),
      ...(panic ? {} : f.abortMarker ? { message: f.abortMarker } : {}),
      excerpt: excerptOf(panic?.raw ?? (f.abortMarker ? [f.abortMarker] : [])),
    };
  }
  // A panic counts even with exit 0: Turso's `loop` without `-s` exits 0 after a failing iteration.
  if (panic) return { kind: 'panic', panicked: true, ...panicFields(panic), excerpt: excerptOf(panic.raw) };

  const property = f.integrityFailed
    ? { form: 'integrity-check' as const, finding: f.integrityFailed }
    : f.simulationFailed
      ? { form: 'simulation-failed' as const, finding: f.simulationFailed }
      : undefined;
  if (property) {
    const message = unquote(textOf(property.finding)) ?? unquote(textOf(f.simulatorError));
    return {
      kind: 'property_failure',
      panicked: false,
      form: property.form,
      ...(message === undefined ? {} : { message }),
      excerpt: excerptOf(property.finding.raw),
    };
  }
  if (failed) {
    const message = unquote(textOf(f.simulatorError)) ?? f.abortMarker;
    return {
      kind: 'crash',
      panicked: false,
      ...(f.simulatorError ? { form: 'simulator-error' as const } : {}),
      ...(message === undefined ? {} : { message }),
      excerpt: excerptOf(f.simulatorError?.raw),
    };
  }
  return { kind: 'none', panicked: false, excerpt: '' };
}

function panicFields(panic: PanicEvidence | undefined): Partial<ParsedPanicOutput> {
  if (!panic) return {};
  return {
    form: panic.form,
    ...(panic.location ? { location: panic.location, locationSource: panic.locationSource } : {}),
    ...(panic.message === undefined ? {} : { message: panic.message }),
    ...(panic.thread === undefined ? {} : { thread: panic.thread }),
  };
}
