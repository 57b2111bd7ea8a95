/**
 * P6: artifact bytes versus base tree size. Over trees of growing size (5 % committed, 95 % ignored
 * `target/`), each backend's sandbox gets the same small change — one file edited, one added, plus
 * build litter in target/ — and exportChanges writes the patch and manifest the next job receives.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { sandboxSchema } from '../packages/core/src/config/schema.js';
import { createSandbox } from '../packages/core/src/sandbox/create.js';
import {
  availableBackends,
  benchTmp,
  makeTree,
  ms,
  removeDir,
  runStandalone,
  sizeLabel,
  timed,
  treeSizes,
  treeSpec,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

/** The same small change in every sandbox: a fixed script, no data in it. */
const CHANGE_SCRIPT = [
  "printf '# bench tree\\nedited by the fix\\n' > README.md",
  "printf 'pub fn fixed() -> u32 {\\n    1\\n}\\n' > src/fix.rs",
  'mkdir -p target',
  "printf 'build litter\\n' > target/litter.o",
].join(' && ');

interface Row {
  size: string;
  bytes: number;
  backend: string;
  patchBytes: number;
  manifestBytes: number;
  artifactBytes: number;
  changedFiles: number;
  exportMs: number;
}

export async function benchArtifactSize(opts: BenchOptions): Promise<BenchResult> {
  const sizes = treeSizes(opts);
  const tmp = await benchTmp('p6');
  const workDir = path.join(tmp, 'work');
  const { backends, absent } = await availableBackends(workDir);
  const rows: Row[] = [];
  try {
    for (const size of sizes) {
      process.stdout.write(`P6: building a ${sizeLabel(size)} tree…\n`);
      const tree = await makeTree(path.join(tmp, `tree-${size}`), treeSpec(size));
      for (const backend of backends) {
        const sandbox = await createSandbox(sandboxSchema.parse({ backend, workDir }), {
          baseRepo: tree.dir,
          baseSha: tree.sha,
          id: `p6-${backend}-${size}-${process.pid}`,
          baseVerifiedClean: true,
          log: () => undefined,
        });
        try {
          const change = await sandbox.run(['sh', '-c', CHANGE_SCRIPT], { timeoutMs: 60_000 });
          if (change.exitCode !== 0) throw new Error(`${backend}: change failed: ${change.tail}`);
          const out = path.join(tmp, `artifact-${backend}-${size}`);
          const { result: exported, ms: exportMs } = await timed(() => sandbox.exportChanges(out));
          const patchBytes = (await stat(exported.patchFile)).size;
          const manifestBytes = (await stat(exported.manifestFile)).size;
          rows.push({
            size: sizeLabel(size),
            bytes: size,
            backend,
            patchBytes,
            manifestBytes,
            artifactBytes: patchBytes + manifestBytes,
            changedFiles: exported.manifest.files.length,
            exportMs,
          });
          process.stdout.write(
            `  ${backend.padEnd(9)} patch ${patchBytes} B + manifest ${manifestBytes} B, ${exported.manifest.files.length} files, export ${ms(exportMs, 0)}\n`,
          );
        } finally {
          await sandbox.destroy();
        }
      }
      await removeDir(tree.dir);
    }
  } finally {
    await removeDir(tmp);
  }
  // Independent of tree size: the patch is byte-identical at every size; the manifest may differ only
  // by a few bytes (timestamps, ids, sandbox paths).
  const verdicts = backends.map((backend) => {
    const mine = rows.filter((r) => r.backend === backend);
    const patches = new Set(mine.map((r) => r.patchBytes));
    const spread =
      Math.max(...mine.map((r) => r.artifactBytes)) - Math.min(...mine.map((r) => r.artifactBytes));
    return {
      backend,
      samePatch: patches.size === 1,
      spread,
      bytes: mine.map((r) => r.artifactBytes),
      exportMs: mine.map((r) => Math.round(r.exportMs)),
    };
  });
  const pass =
    verdicts.every((v) => v.samePatch && v.spread <= 64) && rows.every((r) => r.changedFiles === 2);
  return {
    name: 'p6-artifact-size',
    id: 'P6',
    title: 'artifact bytes vs base tree size',
    target: 'independent of tree size',
    measured: verdicts
      .map(
        (v) =>
          `${v.backend}: ${v.bytes.join(' / ')} B at ${sizes.map(sizeLabel).join(' / ')} (export ${v.exportMs.join(' / ')} ms)`,
      )
      .join('; '),
    pass,
    details: { sizes: sizes.map(sizeLabel), rows, verdicts, absent },
    notes: [
      'artifact = patch + manifest; the change is 1 edited + 1 added file, plus litter in the ignored target/ (must not be exported)',
      'manifest bytes vary by a few bytes with ids/paths containing the size; the patch is byte-identical',
      ...absent.map((a) => `backend not measured: ${a}`),
    ],
  };
}

await runStandalone(import.meta.url, benchArtifactSize);
