import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ScriptedTurn, TurnContext } from '../scripted-model/types.js';
import { text, toolUses } from '../scripted-model/turns.js';
import { fixturePath, type PlantedPanic } from '../target-repo/index.js';

/**
 * A scripted model that plays both pipeline agents for the example target's planted panics, the
 * way a good agent would: read, edit through Claude Code's own Edit tool, call our MCP tools, report.
 * It is stateless: the phase comes from the prompt's marker and the step from the conversation's
 * length, so any number of concurrent sessions can share one server.
 */
const editSchema = z.array(
  z.object({ file_path: z.string().min(1), old_string: z.string(), new_string: z.string() }),
);
type Edit = z.infer<typeof editSchema>[number];

export const PROMPT_MARKERS = { reproducer: 'panic-fix:reproducer', fixer: 'panic-fix:fixer' } as const;

export interface ScenarioPanic {
  location: string;
  seed: string;
  simulatorEdits: Edit[];
  fixEdits: Edit[];
  /** The reproducer reports a seed that does not reproduce (every attempt). */
  neverReproduces?: boolean;
  /**
   * A dishonest agent, for the pipeline's own checks: `lying-fixer` changes nothing but reports a
   * fix; `reproducer-edits-core` also "fixes" the engine while reproducing.
   */
  behaviour?: 'honest' | 'lying-fixer' | 'reproducer-edits-core';
}

export function scenarioPanic(
  planted: PlantedPanic,
  opts: { neverReproduces?: boolean; behaviour?: ScenarioPanic['behaviour'] } = {},
): ScenarioPanic {
  if (opts.neverReproduces)
    return {
      location: planted.panic_location,
      seed: '1',
      simulatorEdits: [],
      fixEdits: [],
      neverReproduces: true,
    };
  if (!planted.reference) throw new Error(`${planted.id} has no reference changes`);
  const load = (file: string) => editSchema.parse(JSON.parse(readFileSync(fixturePath(file), 'utf8')));
  return {
    location: planted.panic_location,
    seed: String(planted.reference.seed),
    simulatorEdits: load(planted.reference.simulator_edits),
    fixEdits: load(planted.reference.fix_edits),
    ...(opts.behaviour ? { behaviour: opts.behaviour } : {}),
  };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((b: { type?: string; text?: string }) => (b.type === 'text' ? (b.text ?? '') : ''))
      .join('\n');
  return '';
}

/** The backticked value of a `- Key: \`value\`` line the prompts carry. */
function promptField(prompt: string, key: string): string | undefined {
  return new RegExp(`^- ${key}: \`([^\`]+)\``, 'm').exec(prompt)?.[1];
}

export function panicFixScenario(panics: readonly ScenarioPanic[]): (ctx: TurnContext) => ScriptedTurn {
  return (ctx) => {
    const messages = ctx.body.messages ?? [];
    const first = textOf(messages[0]?.content);
    const phase = first.includes(PROMPT_MARKERS.reproducer)
      ? 'reproducer'
      : first.includes(PROMPT_MARKERS.fixer)
        ? 'fixer'
        : undefined;
    if (!phase) return text('I do not recognise this task.');
    const panic = panics.find((p) => first.includes(`\`${p.location}\``));
    const repoDir = promptField(first, 'Repository');
    if (!panic || !repoDir) return text('The prompt names no panic I know.');
    const step = messages.filter((m) => m.role === 'assistant').length;
    return (
      turnsFor(phase, panic, repoDir)[step] ??
      text(phase === 'reproducer' ? 'Reported the failing seed.' : 'The fix is in place and validated.')
    );
  };
}

function turnsFor(phase: 'reproducer' | 'fixer', panic: ScenarioPanic, repoDir: string): ScriptedTurn[] {
  const abs = (e: Edit) => path.join(repoDir, e.file_path);
  const edits =
    phase === 'reproducer'
      ? panic.neverReproduces
        ? []
        : panic.behaviour === 'reproducer-edits-core'
          ? [...panic.simulatorEdits, ...panic.fixEdits]
          : panic.simulatorEdits
      : panic.behaviour === 'lying-fixer'
        ? []
        : panic.fixEdits;
  const files = [...new Set(edits.map(abs))];
  const turns: ScriptedTurn[] = [];
  if (edits.length > 0) {
    // Claude Code's Edit refuses a file it has not read in this session.
    turns.push(
      toolUses(
        files.map((file_path) => ({ name: 'Read', input: { file_path } })),
        { text: 'Reading the code first.' },
      ),
    );
    turns.push(
      toolUses(
        edits.map((e) => ({
          name: 'Edit',
          input: { file_path: abs(e), old_string: e.old_string, new_string: e.new_string },
        })),
      ),
    );
  }
  const seed = panic.neverReproduces ? '1' : panic.seed;
  if (phase === 'reproducer') {
    turns.push(toolUses([{ name: 'mcp__panic-fix__run-simulator', input: { seed: Number(seed) } }]));
    turns.push(
      toolUses([
        {
          name: 'mcp__panic-fix__describe-sim-fix',
          input: {
            failing_seed: Number(seed),
            why_simulator_missed:
              'The generator never produced the statement shape that reaches this code path.',
            what_was_added: 'A generator branch that emits that statement shape.',
          },
        },
      ]),
    );
  } else {
    turns.push(toolUses([{ name: 'mcp__panic-fix__validate-fix', input: { failing_seed: Number(seed) } }]));
    turns.push(
      toolUses([
        {
          name: 'mcp__panic-fix__describe-fix',
          input: {
            bug_description: `The engine reached ${panic.location} in a state the code assumed impossible.`,
            fix_description:
              'Handle that state explicitly instead of panicking, returning what sqlite3 returns.',
          },
        },
      ]),
    );
  }
  return turns;
}

/**
 * The scripted agents for every planted panic the skip gate lets through; a panic without a reference
 * fix never reproduces (nor does any, with `sabotage`).
 */
export function plantedScenario(
  panics: readonly PlantedPanic[],
  opts: { sabotage?: boolean } = {},
): (ctx: TurnContext) => ScriptedTurn {
  return panicFixScenario(
    panics
      .filter((p) => p.kind !== 'unimplemented')
      .map((p) => scenarioPanic(p, { neverReproduces: opts.sabotage === true || !p.reference })),
  );
}
