import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runAgent, type AgentResult } from '../agent/index.js';
import { startBudgetClock, type BudgetClock } from '../clock/server.js';
import { loadPromptTemplate, renderPrompt, type PromptName } from '../prompts/index.js';
import type { Sandbox } from '../sandbox/types.js';
import { toolsEnv, type ToolsSettings } from '../tools-env.js';
import type { PhaseReport } from './artifact.js';
import { errorText, type PanicJob } from './job.js';
import type { PhaseLog } from './reporter.js';

export type Verdict = { ok: true } | { ok: false; feedback: string };

export interface AgentPhaseResult {
  ok: boolean;
  /** Why the phase gave up (last verification feedback or the agent's outcome). */
  reason?: string;
  report: PhaseReport;
}

/** The MCP server the agents get: our bundled tools server, nothing else. */
export function toolsServerPath(homeDir: string): string {
  return path.join(homeDir, 'packages', 'mcp-tools', 'dist', 'index.js');
}

async function startClock(job: PanicJob, log: PhaseLog): Promise<BudgetClock> {
  // Parallel panics on one runner would fight over a fixed port: fall back to a free one.
  try {
    return await startBudgetClock({ port: job.config.ipcPort });
  } catch (error) {
    if (job.config.ipcPort !== 0)
      log.warn(
        `budget clock port ${job.config.ipcPort} unavailable (${errorText(error)}); using a free port`,
      );
    return startBudgetClock({ port: 0 });
  }
}

/** Which prompt and which budget each agent phase runs with. */
const PHASE_AGENTS = {
  reproducing: { promptName: 'reproducer', budget: 'reproducerTimeoutMs' },
  fixing: { promptName: 'fixer', budget: 'fixerTimeoutMs' },
} as const satisfies Record<string, { promptName: PromptName; budget: keyof PanicJob['config'] }>;

export interface AgentPhaseArgs {
  job: PanicJob;
  sandbox: Sandbox;
  phase: keyof typeof PHASE_AGENTS;
  vars: Record<string, string>;
  tools: Omit<ToolsSettings, 'clock'>;
  log: PhaseLog;
  verify: (attempt: number) => Promise<Verdict>;
}

/**
 * Runs one agent phase: up to `phaseAttempts` agent runs sharing one budget, each followed by the
 * action's own verification of what the agent claims. A retry gets the verification's reason. The
 * phase's metrics are recorded on the panic's row whichever way it ends (unless it throws).
 */
export async function runAgentPhase(args: AgentPhaseArgs): Promise<AgentPhaseResult> {
  const result = await runAttempts(args);
  await args.job.store.recordPhase(args.job.location, args.phase, {
    duration_ms: result.report.durationMs,
    agent_ms: result.report.agentMs,
    excluded_ms: result.report.excludedMs,
    turns: result.report.turns,
    cost_usd: result.report.costUsd,
    outcome: result.report.outcome,
  });
  return result;
}

async function runAttempts(args: AgentPhaseArgs): Promise<AgentPhaseResult> {
  const { job, sandbox, log } = args;
  const { promptName } = PHASE_AGENTS[args.phase];
  const budgetMs = job.config[PHASE_AGENTS[args.phase].budget];
  const agentConfig = job.config.agent;
  const template = await loadPromptTemplate(promptName, path.join(job.homeDir, 'prompts'));
  const transcripts = path.join(job.artifactDir, 'transcripts');
  await mkdir(transcripts, { recursive: true });
  const clock = await startClock(job, log);
  const started = Date.now();
  const totals = { agentMs: 0, excludedMs: 0, turns: 0, costUsd: 0 };
  let feedback: string | undefined;
  let attempts = 0;
  let last: AgentResult | undefined;
  try {
    for (let attempt = 1; attempt <= agentConfig.phaseAttempts; attempt++) {
      const remaining = budgetMs - totals.agentMs;
      if (remaining <= 1_000) {
        feedback ??= 'the agent budget is used up';
        break;
      }
      attempts = attempt;
      let prompt = renderPrompt(template, args.vars);
      if (feedback) {
        prompt += `\n\n## Your previous attempt was not accepted\n\nThe pipeline checked your result itself and found:\n\n${feedback}\n\nContinue from the current state of the repository and fix that.\n`;
      }
      log.info(
        `${promptName} agent, attempt ${attempt}/${agentConfig.phaseAttempts}, budget ${Math.round(remaining / 1000)} s`,
      );
      const settings: ToolsSettings = { ...args.tools, clock: { url: clock.url, token: clock.token } };
      const result = await job.reporter.group(`${promptName} agent (attempt ${attempt})`, () =>
        runAgent({
          wrap: (argv, opts) => sandbox.wrap(argv, opts),
          claudePath: agentConfig.claudePath,
          ...(agentConfig.model ? { model: agentConfig.model } : {}),
          maxTurns: agentConfig.maxTurns,
          bare: agentConfig.bare,
          killGraceMs: agentConfig.killGraceMs,
          prompt,
          mcpServer: {
            command: process.execPath,
            args: [toolsServerPath(job.homeDir)],
            env: toolsEnv(settings),
          },
          mcpConfigDir: sandbox.scratchDir,
          budgetMs: remaining,
          clock,
          transcriptFile: path.join(transcripts, `${promptName}-${attempt}.jsonl`),
          onSummary: (line) => job.reporter.log('info', line),
          ...(job.signal ? { signal: job.signal } : {}),
        }),
      );
      last = result;
      totals.agentMs += result.budgetUsedMs;
      totals.excludedMs += result.excludedMs;
      totals.turns += result.numTurns ?? 0;
      totals.costUsd += result.costUsd ?? 0;
      log.info(
        `${promptName} agent finished: ${result.outcome}, ${result.numTurns ?? '?'} turns, $${(result.costUsd ?? 0).toFixed(4)}, ` +
          `${Math.round(result.budgetUsedMs / 1000)} s of budget (${Math.round(result.excludedMs / 1000)} s simulator time excluded)`,
        { outcome: result.outcome, turns: result.numTurns, cost_usd: result.costUsd },
      );
      if (job.signal?.aborted) {
        feedback = 'the run was stopped';
        break;
      }
      if (result.outcome === 'budget_exceeded') {
        feedback = `the agent used its whole budget (${Math.round(budgetMs / 60_000)} min) without a verified result`;
        break;
      }
      // Whatever the agent says (even "success"), only the action's own check counts.
      const verdict = await args.verify(attempt).catch((error: unknown): Verdict => ({
        ok: false,
        feedback: `verification could not run: ${errorText(error)}`,
      }));
      if (verdict.ok) {
        return { ok: true, report: report('verified') };
      }
      feedback = `${verdict.feedback}${result.outcome === 'success' ? '' : ` (agent outcome: ${result.outcome}${result.resultText ? `: ${result.resultText.slice(0, 500)}` : ''})`}`;
      log.warn(`attempt ${attempt} not accepted: ${feedback}`);
    }
    return {
      ok: false,
      reason: feedback ?? `agent outcome ${last?.outcome ?? 'none'}`,
      report: report(last?.outcome ?? 'not_run'),
    };
  } finally {
    await clock.close();
  }

  function report(outcome: string): PhaseReport {
    return {
      outcome,
      attempts,
      durationMs: Date.now() - started,
      agentMs: totals.agentMs,
      excludedMs: totals.excludedMs,
      turns: totals.turns,
      costUsd: totals.costUsd,
    };
  }
}
