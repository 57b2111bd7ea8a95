import { isAbsolute, normaliseSourcePath } from './location.js';
import type { BacktraceFrame, SourceLocation } from './types.js';

const FRAME_HEADER = /^\s*(\d+):\s+(.+?)\s*$/;
const FRAME_AT = /^\s*at\s+(.+?):(\d+)(?::(\d+))?\s*$/;

/** One line of a `std::backtrace::Backtrace` or `RUST_BACKTRACE` listing, or undefined if it is neither. */
export function parseBacktraceLine(
  line: string,
):
  | { type: 'frame'; index: number; fn: string }
  | { type: 'at'; file: string; line: number; column?: number }
  | undefined {
  const at = FRAME_AT.exec(line);
  if (at) {
    return {
      type: 'at',
      file: at[1]!,
      line: Number(at[2]),
      ...(at[3] === undefined ? {} : { column: Number(at[3]) }),
    };
  }
  const frame = FRAME_HEADER.exec(line);
  if (frame) return { type: 'frame', index: Number(frame[1]), fn: frame[2]! };
  return undefined;
}

/**
 * Functions through which every panic passes. Frames before the first of them belong to the
 * backtrace capture and the panic hook (Turso's hook lives in the simulator's own main.rs).
 */
const PANIC_ENTRY =
  /^(?:__rustc::)?rust_begin_unwind$|^std::panicking::(?:begin_panic|rust_panic_with_hook|panic_with_hook|begin_panic_handler|panic_handler)|^core::panicking::|^std::rt::begin_panic/;

const TOOLCHAIN_PATH =
  /^\/rustc\/|\/\.cargo\/(?:registry|git)\/|\/\.rustup\/|\/library\/(?:std|core|alloc|proc_macro|test)\/src\//;
const TOOLCHAIN_FN = /^(?:std|core|alloc)::|^<(?:std|core|alloc)::|^__rust/;

/** The frame's file with `/` separators, when it has a file and a line and is not toolchain source. */
function nonToolchainFile(frame: BacktraceFrame): string | undefined {
  if (frame.file === undefined || frame.line === undefined) return undefined;
  const file = frame.file.replace(/\\/g, '/');
  return TOOLCHAIN_PATH.test(file) ? undefined : file;
}

/** A frame whose source is the repository's own code rather than std, rustc or a registry crate. */
export function isRepoFrame(frame: BacktraceFrame, repoDir?: string): boolean {
  const file = frame.file ? nonToolchainFile(frame) : undefined;
  if (file === undefined) return false;
  if (isAbsolute(file)) {
    // Absolute paths are the repo's only when they lie inside it.
    return repoDir !== undefined && !isAbsolute(normaliseSourcePath(file, repoDir));
  }
  return !TOOLCHAIN_FN.test(frame.fn);
}

/**
 * The panic site: the first repository frame after the panic machinery (skipping the hook's own
 * frames). Failing that, a non-toolchain absolute path (built on another machine) is the next best guess.
 */
export function panicSiteFrame(
  frames: readonly BacktraceFrame[],
  repoDir?: string,
): BacktraceFrame | undefined {
  const entry = frames.findIndex((frame) => PANIC_ENTRY.test(frame.fn));
  const candidates = frames.slice(entry === -1 ? 0 : entry + 1);
  return (
    candidates.find((frame) => isRepoFrame(frame, repoDir)) ?? candidates.find((frame) => isOwnCode(frame))
  );
}

function isOwnCode(frame: BacktraceFrame): boolean {
  return nonToolchainFile(frame) !== undefined && !TOOLCHAIN_FN.test(frame.fn);
}

export function frameLocation(frame: BacktraceFrame, repoDir?: string): SourceLocation {
  return {
    file: normaliseSourcePath(frame.file!, repoDir),
    line: frame.line!,
    ...(frame.column === undefined ? {} : { column: frame.column }),
  };
}
