import { classifyFindings } from './classify.js';
import { PanicOutputScanner } from './scanner.js';
import type { ExitStatus, ParsedPanicOutput, PanicOutputInput } from './types.js';

/** Classifies a finished run from its whole output. For output still streaming, use `createPanicOutputParser`. */
export function parsePanicOutput(input: PanicOutputInput): ParsedPanicOutput {
  const parser = createPanicOutputParser(input.repoDir);
  parser.write('stdout', input.stdout);
  parser.write('stderr', input.stderr);
  return parser.finish(input);
}

export interface PanicOutputParser {
  write(stream: 'stdout' | 'stderr', chunk: string | Buffer): void;
  finish(exit: ExitStatus): ParsedPanicOutput;
}

/** Feeds a run's output as it streams (bounded memory), then classifies it with the exit status. */
export function createPanicOutputParser(repoDir?: string): PanicOutputParser {
  const scanner = new PanicOutputScanner();
  return {
    write: (stream, chunk) => scanner.write(stream, chunk),
    finish: (exit) => classifyFindings(scanner.end(), exit, repoDir),
  };
}
