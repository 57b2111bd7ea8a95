import type { TargetConfig } from '../config/schema.js';
import { fenced } from './render.js';

export interface PanicPromptInput {
  panicLocation: string;
  panicMessage: string;
  /** The SQL that triggered the panic in the report (may be empty: simulator-found panics have none). */
  sqlStatements: string;
  target: TargetConfig;
  /** Repo-relative path of the generated regression test. */
  regressionTest: string;
  /** The repository as the agent sees it (its working directory). */
  repoDir?: string;
  /** Where fixes go (repo-relative prefix); Turso's engine is `core/`. */
  coreDir?: string;
  /** Fixer only: the seed the reproducer found, and what it recorded. */
  failingSeed?: string;
  whySimulatorMissed?: string;
  simulatorChanges?: string;
}

function list(items: readonly string[]): string {
  return items.map((item) => `\`${item}\``).join(', ');
}

/**
 * The location for the templates' `` `{{panic_location}}` `` code span. A location holding backticks
 * would end that span early and continue as prose, so it gets backtick runs of its own that merge with
 * the template's into a longer delimiter no run inside can match (CommonMark strips the padding spaces).
 */
function inCodeSpan(location: string): string {
  const longest = Math.max(0, ...[...location.matchAll(/`+/g)].map((m) => m[0].length));
  if (longest === 0) return location;
  const ticks = '`'.repeat(longest);
  return `${ticks} ${location} ${ticks}`;
}

/**
 * The variables `prompts/reproducer.md` and `prompts/fixer.md` use. Panic data goes into fenced blocks
 * whose fence it cannot close; retry feedback is appended by the caller after rendering.
 */
export function panicPromptVars(input: PanicPromptInput): Record<string, string> {
  const { target } = input;
  return {
    panic_location: inCodeSpan(input.panicLocation),
    repo_dir: input.repoDir ?? '.',
    panic_message_block: fenced(input.panicMessage, 'text'),
    sql_block: input.sqlStatements.trim()
      ? fenced(input.sqlStatements, 'sql')
      : '(no SQL was reported with this panic; the simulator must find the triggering statements)',
    simulator_paths: list(target.simulatorPaths),
    simulator_command: target.simulatorCommand.join(' '),
    core_dir: input.coreDir ?? 'core/',
    regression_test: input.regressionTest,
    single_test_command: target.singleTestCommand.join(' '),
    test_command: target.testCommand.join(' '),
    validation_seeds: String(target.validationSeeds),
    failing_seed: input.failingSeed ?? '(not recorded)',
    why_simulator_missed_block: fenced(input.whySimulatorMissed ?? '', 'text'),
    simulator_changes_block: fenced(input.simulatorChanges ?? '', 'text'),
    // Raw values too, for callers that add their own sections.
    panic_message: input.panicMessage,
    sql_statements: input.sqlStatements,
  };
}
