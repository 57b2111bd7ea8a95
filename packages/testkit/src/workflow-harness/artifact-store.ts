import { cp, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

const INVALID_NAME = /["<>:|*?\r\n\\/]/;

export interface UploadRequest {
  name: string;
  /** Absolute paths (files or directories). */
  paths: string[];
  includeHidden: boolean;
  overwrite: boolean;
}

export interface UploadResult {
  id: number;
  files: string[];
}

/**
 * Emulates the v4 artifact service with directories under `<workDir>/artifacts/<name>/`: names are unique per run
 * (a second upload of the same name is a conflict unless `overwrite`), contents keep paths relative to the least
 * common ancestor of the uploaded paths, and hidden files stay out unless asked for.
 */
export class ArtifactStore {
  private nextId = 1;
  private readonly ids = new Map<string, number>();
  private readonly pending = new Set<string>();

  constructor(readonly root: string) {}

  async upload(request: UploadRequest): Promise<UploadResult> {
    if (request.name.trim() === '' || INVALID_NAME.test(request.name)) {
      throw new Error(
        `The artifact name is not valid: '${request.name}'. Contains a character that is not allowed`,
      );
    }
    if ((this.ids.has(request.name) || this.pending.has(request.name)) && !request.overwrite) {
      throw new Error(
        `Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run (name '${request.name}')`,
      );
    }
    this.pending.add(request.name);
    try {
      const files = await collectFiles(request.paths, request.includeHidden);
      if (files.length === 0) return { id: 0, files: [] };
      const root = await commonAncestor(request.paths);
      const target = path.join(this.root, request.name);
      // Artifacts belong to one run: stale contents (an earlier run sharing the directory, or an overwrite) go.
      await rm(target, { recursive: true, force: true });
      await mkdir(target, { recursive: true });
      for (const file of files) {
        const relative = path.relative(root, file);
        await mkdir(path.dirname(path.join(target, relative)), { recursive: true });
        await cp(file, path.join(target, relative), { force: true });
      }
      const id = this.nextId++;
      this.ids.set(request.name, id);
      return { id, files: files.map((file) => path.relative(root, file)) };
    } finally {
      this.pending.delete(request.name);
    }
  }

  names(): string[] {
    return [...this.ids.keys()].sort();
  }

  has(name: string): boolean {
    return this.ids.has(name);
  }

  async download(name: string, destination: string): Promise<void> {
    if (!this.ids.has(name))
      throw new Error(`Unable to download artifact(s): Artifact not found for name: ${name}`);
    await mkdir(destination, { recursive: true });
    await cp(path.join(this.root, name), destination, { recursive: true, force: true });
  }
}

async function collectFiles(paths: string[], includeHidden: boolean): Promise<string[]> {
  const files: string[] = [];
  const visit = async (entry: string, top: boolean): Promise<void> => {
    if (!top && !includeHidden && path.basename(entry).startsWith('.')) return;
    let info;
    try {
      info = await stat(entry);
    } catch {
      return;
    }
    if (info.isDirectory()) {
      for (const child of (await readdir(entry)).sort()) await visit(path.join(entry, child), false);
    } else if (info.isFile()) {
      files.push(entry);
    }
  };
  for (const p of paths) await visit(p, true);
  return [...new Set(files)];
}

/** Directory that @actions/artifact uses as the root: the directory itself, a file's parent, or the common parent. */
async function commonAncestor(paths: string[]): Promise<string> {
  const dirs = await Promise.all(
    paths.map(async (p) => ((await stat(p).catch(() => undefined))?.isDirectory() ? p : path.dirname(p))),
  );
  if (dirs.length === 1) return dirs[0]!;
  const split = dirs.map((dir) => dir.split(path.sep));
  const common: string[] = [];
  for (let i = 0; ; i++) {
    const part = split[0]![i];
    if (part === undefined || !split.every((parts) => parts[i] === part)) break;
    common.push(part);
  }
  return common.join(path.sep) || path.sep;
}
