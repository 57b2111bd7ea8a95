/** What a run's output says went wrong, as far as the printed text and exit status can tell. */
export type FailureKind =
  /** A Rust panic (default hook or Turso's simulator hook). */
  | 'panic'
  /** SIGABRT / exit 134, e.g. a release build with `panic = "abort"`; location kept when printed. */
  | 'abort'
  /** The simulator found a property or integrity violation without panicking. */
  | 'property_failure'
  /** The program never ran: rustc or cargo failed to build it. */
  | 'compile_error'
  /** Killed past its deadline. */
  | 'timeout'
  /** Non-zero exit or a signal with no recognisable panic or property failure. */
  | 'crash'
  /** Exit 0 and nothing failing printed. */
  | 'none';

export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}

/** Which printed form the failure was recognised from. */
export type FailureForm =
  | 'rust-panic'
  | 'rust-panic-legacy'
  | 'simulator-hook'
  | 'simulator-error'
  | 'simulation-failed'
  | 'integrity-check'
  | 'rustc'
  | 'cargo';

export interface BacktraceFrame {
  index: number;
  fn: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface ParsedPanicOutput {
  kind: FailureKind;
  /** A panic was printed (true for most aborts; may be true for a timeout or crash that printed one first). */
  panicked: boolean;
  form?: FailureForm;
  location?: SourceLocation;
  /** Where the location came from: the `panicked at` line, a backtrace frame, or a compiler diagnostic. */
  locationSource?: 'panic-line' | 'backtrace' | 'compiler';
  message?: string;
  thread?: string;
  /** The lines the verdict rests on, bounded. */
  excerpt: string;
}

export interface ExitStatus {
  exitCode: number | null;
  signal: string | null;
  timedOut?: boolean;
}

export interface PanicOutputInput extends ExitStatus {
  stdout: string;
  stderr: string;
  /** Absolute repo path: absolute backtrace paths under it count as the repo's own frames. */
  repoDir?: string;
}
