import { copyFile, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Sandbox } from '../sandbox/types.js';
import { ARTIFACT_FILES } from './artifact.js';
import { errorText, type PanicJob } from './job.js';
import type { PhaseLog } from './reporter.js';
import { contextFile } from './sandbox-io.js';

/** Moves the sandbox's patch, manifest and context into the artifact dir. */
export async function exportToArtifact(
  job: PanicJob,
  sandbox: Sandbox,
): Promise<{ patchFile: string; patchBytes: number }> {
  await mkdir(job.artifactDir, { recursive: true });
  const staging = path.join(sandbox.scratchDir, 'export');
  const exported = await sandbox.exportChanges(staging);
  const patchFile = path.join(job.artifactDir, ARTIFACT_FILES.patch);
  await rename(exported.patchFile, patchFile).catch(() => copyFile(exported.patchFile, patchFile));
  await copyFile(exported.manifestFile, path.join(job.artifactDir, ARTIFACT_FILES.manifest));
  await copyFile(contextFile(sandbox), path.join(job.artifactDir, ARTIFACT_FILES.context)).catch(
    () => undefined,
  );
  return { patchFile, patchBytes: exported.manifest.patchBytes };
}

/** On failure: keep what the agents did so a human can pick it up (never fails the caller). */
export async function exportForHumans(job: PanicJob, sandbox: Sandbox, log: PhaseLog): Promise<void> {
  try {
    const { patchBytes } = await exportToArtifact(job, sandbox);
    log.info(`kept the sandbox's changes for review (${patchBytes} bytes of patch) in the artifact`);
  } catch (error) {
    log.warn(`could not export the sandbox's changes: ${errorText(error)}`);
  }
}
