import { cp, mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactStore } from './artifact-store.js';
import { unsupported } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { ActionContext, ActionImplementation } from './types.js';

const CHECKOUT_INPUTS = [
  'repository',
  'ref',
  'token',
  'ssh-key',
  'ssh-known-hosts',
  'ssh-strict',
  'ssh-user',
  'persist-credentials',
  'path',
  'clean',
  'filter',
  'sparse-checkout',
  'sparse-checkout-cone-mode',
  'fetch-depth',
  'fetch-tags',
  'show-progress',
  'lfs',
  'submodules',
  'set-safe-directory',
  'github-server-url',
];
const UPLOAD_INPUTS = [
  'name',
  'path',
  'if-no-files-found',
  'retention-days',
  'compression-level',
  'overwrite',
  'include-hidden-files',
];
const DOWNLOAD_INPUTS = [
  'name',
  'path',
  'pattern',
  'merge-multiple',
  'github-token',
  'repository',
  'run-id',
  'artifact-ids',
];

function rejectUnknownInputs(ctx: ActionContext, known: string[]): void {
  const unexpected = Object.keys(ctx.inputs).filter((name) => !known.includes(name));
  if (unexpected.length > 0) {
    throw new Error(
      `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${known.join("', '")}']`,
    );
  }
}

function booleanInput(ctx: ActionContext, name: string, fallback: boolean): boolean {
  const raw = ctx.inputs[name];
  if (raw === undefined || raw === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}`);
}

function insideWorkspace(ctx: ActionContext, relative: string, what: string): string {
  const resolved = path.resolve(ctx.workspace, relative);
  if (resolved !== ctx.workspace && !resolved.startsWith(ctx.workspace + path.sep)) {
    throw new Error(`${what} '${relative}' is outside the workspace`);
  }
  return resolved;
}

function checkout(options: ResolvedOptions): ActionImplementation {
  return async (ctx) => {
    rejectUnknownInputs(ctx, CHECKOUT_INPUTS);
    const repository = ctx.inputs.repository;
    if (repository && repository !== options.github.repository) {
      throw unsupported(`actions/checkout of another repository (${repository})`, ctx.jobId);
    }
    ctx.setOutput('ref', options.github.ref);
    ctx.setOutput('commit', options.github.sha);
    if (options.checkout.mode === 'repo-root') {
      ctx.log(`checkout emulated: the workspace is ${ctx.repoRoot}`);
      return;
    }
    const { exclude, symlink: linked } = options.checkout;
    const target = insideWorkspace(ctx, ctx.inputs.path || '.', 'checkout path');
    await mkdir(target, { recursive: true });
    const skip = new Set(['.git', ...exclude, ...linked].map((p) => path.normalize(p)));
    for (const entry of await readdir(ctx.repoRoot)) {
      if (skip.has(entry)) continue;
      await cp(path.join(ctx.repoRoot, entry), path.join(target, entry), {
        recursive: true,
        verbatimSymlinks: true,
        filter: (source) => !skip.has(path.relative(ctx.repoRoot, source)),
      });
    }
    for (const relative of linked) {
      await mkdir(path.dirname(path.join(target, relative)), { recursive: true });
      await symlink(path.join(ctx.repoRoot, relative), path.join(target, relative));
    }
    ctx.log(`checkout emulated: copied ${ctx.repoRoot} to ${target}`);
  };
}

function uploadArtifact(store: ArtifactStore): ActionImplementation {
  return async (ctx) => {
    rejectUnknownInputs(ctx, UPLOAD_INPUTS);
    const name = ctx.inputs.name || 'artifact';
    const lines = ctx
      .getInput('path', { required: true })
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
    for (const line of lines) {
      if (line.startsWith('!') || /[*?[\]{}]/.test(line))
        throw unsupported(`glob patterns in upload-artifact path (${line})`, ctx.jobId);
    }
    const ifNoFiles = ctx.inputs['if-no-files-found'] || 'warn';
    if (!['warn', 'error', 'ignore'].includes(ifNoFiles))
      throw new Error(`Unrecognized if-no-files-found input: ${ifNoFiles}`);
    const result = await store.upload({
      name,
      paths: lines.map((line) => path.resolve(ctx.workspace, line)),
      includeHidden: booleanInput(ctx, 'include-hidden-files', false),
      overwrite: booleanInput(ctx, 'overwrite', false),
    });
    if (result.files.length === 0) {
      const message = `No files were found with the provided path: ${lines.join(', ')}. No artifacts will be uploaded.`;
      if (ifNoFiles === 'error') throw new Error(message);
      if (ifNoFiles === 'warn') ctx.log(`##[warning]${message}`);
      return;
    }
    ctx.log(`Artifact ${name} has been successfully uploaded (${result.files.length} file(s))`);
    ctx.setOutput('artifact-id', String(result.id));
    ctx.setOutput(
      'artifact-url',
      `${ctx.env.GITHUB_SERVER_URL}/${ctx.env.GITHUB_REPOSITORY}/actions/runs/${ctx.env.GITHUB_RUN_ID}/artifacts/${result.id}`,
    );
  };
}

function downloadArtifact(store: ArtifactStore): ActionImplementation {
  return async (ctx) => {
    rejectUnknownInputs(ctx, DOWNLOAD_INPUTS);
    for (const crossRun of ['github-token', 'repository', 'run-id', 'artifact-ids']) {
      if (ctx.inputs[crossRun]) throw unsupported(`download-artifact input '${crossRun}'`, ctx.jobId);
    }
    const destination = path.resolve(ctx.workspace, ctx.inputs.path || '.');
    const name = ctx.inputs.name;
    if (name) {
      await store.download(name, destination);
    } else {
      const pattern = ctx.inputs.pattern ? globToRegExp(ctx.inputs.pattern) : undefined;
      const names = store.names().filter((n) => !pattern || pattern.test(n));
      const merge = booleanInput(ctx, 'merge-multiple', false);
      for (const n of names) await store.download(n, merge ? destination : path.join(destination, n));
      ctx.log(`downloaded ${names.length} artifact(s): ${names.join(', ')}`);
    }
    ctx.setOutput('download-path', destination);
  };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** Built-in emulations of the remote actions such a workflow uses, keyed by `owner/repo`. */
export function builtinActions(
  options: ResolvedOptions,
  store: ArtifactStore,
): Record<string, ActionImplementation> {
  return {
    'actions/checkout': checkout(options),
    'actions/upload-artifact': uploadArtifact(store),
    'actions/download-artifact': downloadArtifact(store),
    // The harness runs on this machine's Node; the version request is recorded in the log, not honoured.
    'actions/setup-node': (ctx) => {
      ctx.log(
        `setup-node emulated: using ${process.version} (asked for '${ctx.inputs['node-version'] ?? ''}')`,
      );
    },
  };
}
