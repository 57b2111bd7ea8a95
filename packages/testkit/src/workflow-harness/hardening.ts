import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

export type HardeningRule = 'run-interpolation' | 'job-permissions' | 'unpinned-action';

export interface HardeningFinding {
  file: string;
  job: string;
  /** 1-based step index, when the finding is about a step. */
  step?: number;
  rule: HardeningRule;
  message: string;
}

/**
 * Data that must reach a script through `env:`, never by `${{ }}` in `run:`: there the runner pastes the value into
 * the script text before bash parses it, so a quote or `$(…)` in an input, event field, matrix entry or another
 * step's output becomes code. Secrets are listed too: interpolated, they end up in the script file on disk.
 */
const UNTRUSTED_IN_RUN: Array<[RegExp, string]> = [
  // Checked first and on the raw text: `github['event']` needs its quoted key.
  [/\bgithub\s*(?:\.\s*event\b|\[\s*'event'\s*\])/, 'github.event'],
  [/\binputs\b/, 'inputs'],
  [/\bmatrix\b/, 'matrix'],
  [/\bneeds\b[\s\S]*\boutputs\b/, 'needs.*.outputs'],
  [/\bsteps\b[\s\S]*\boutputs\b/, 'steps.*.outputs'],
  [/\bsecrets\b/, 'secrets'],
];

const PINNED = /@[0-9a-f]{40}$/;
const BROAD_PERMISSIONS = new Set(['write-all', 'read-all']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What an expression interpolates that it must not, or undefined. */
function untrusted(expression: string): string | undefined {
  // Single-quoted literals blanked so `'inputs'` as text does not count (except for `github['event']`).
  const blanked = expression.replace(/'(?:[^']|'')*'/g, "''");
  for (const [pattern, what] of UNTRUSTED_IN_RUN) {
    if (pattern.test(what === 'github.event' ? expression : blanked)) return what;
  }
  return undefined;
}

function checkUses(uses: unknown, file: string, job: string, step?: number): HardeningFinding[] {
  if (typeof uses !== 'string' || uses.startsWith('./')) return [];
  const pinned = uses.startsWith('docker://') ? /@sha256:[0-9a-f]{64}$/.test(uses) : PINNED.test(uses);
  if (pinned) return [];
  return [
    {
      file,
      job,
      ...(step !== undefined ? { step } : {}),
      rule: 'unpinned-action',
      message: `'${uses}' is not pinned by a full commit SHA (or image digest)`,
    },
  ];
}

/** Checks one workflow's text against the project's hardening rules. */
export function checkWorkflowHardeningText(content: string, file: string): HardeningFinding[] {
  const workflow: unknown = parseYaml(content);
  if (!isRecord(workflow) || !isRecord(workflow.jobs)) {
    throw new Error(`${file}: not a workflow (no jobs mapping)`);
  }
  const findings: HardeningFinding[] = [];
  const workflowPermissions = workflow.permissions;
  if (typeof workflowPermissions === 'string' && BROAD_PERMISSIONS.has(workflowPermissions)) {
    findings.push({
      file,
      job: '*',
      rule: 'job-permissions',
      message: `workflow permissions '${workflowPermissions}' is not least privilege`,
    });
  }
  for (const [jobId, job] of Object.entries(workflow.jobs)) {
    if (!isRecord(job)) continue;
    // GitHub applies top-level permissions to every job without its own; without either the token gets the
    // repository's default, which may be write-all.
    if (!('permissions' in job) && !('permissions' in workflow)) {
      findings.push({
        file,
        job: jobId,
        rule: 'job-permissions',
        message: 'no explicit permissions (job or workflow level)',
      });
    } else if (typeof job.permissions === 'string' && BROAD_PERMISSIONS.has(job.permissions)) {
      findings.push({
        file,
        job: jobId,
        rule: 'job-permissions',
        message: `permissions '${job.permissions}' is not least privilege`,
      });
    }
    findings.push(...checkUses(job.uses, file, jobId));
    const steps = Array.isArray(job.steps) ? job.steps : [];
    steps.forEach((step: unknown, index) => {
      if (!isRecord(step)) return;
      findings.push(...checkUses(step.uses, file, jobId, index + 1));
      if (typeof step.run !== 'string') return;
      for (const match of step.run.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) {
        const what = untrusted(match[1] ?? '');
        if (what === undefined) continue;
        findings.push({
          file,
          job: jobId,
          step: index + 1,
          rule: 'run-interpolation',
          message: `run: interpolates ${what} (${match[0]}); pass it through env: instead`,
        });
      }
    });
  }
  return findings;
}

export async function checkWorkflowHardening(file: string): Promise<HardeningFinding[]> {
  return checkWorkflowHardeningText(await readFile(file, 'utf8'), file);
}
