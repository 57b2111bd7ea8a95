import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseNameStatus } from './export-changes.js';
import { loadExportedChanges, sandboxManifestSchema, type SandboxManifest } from './manifest.js';
import { listMountPoints } from './mounts.js';
import { removeTree } from './remove-tree.js';
import { assertOverlaySafePath, normalizeSubdir } from './validate.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'panic-fix-manifest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PATCH = 'diff --git a/x b/x\nnew file mode 100644\n';
const SHA256_OF_PATCH = '3f5f8d0a1e1b1e5bd4d74b1b6f53c3acc5c8d3a7ab7f6e58ebc1ef1b9bdfa8a6';

function writeArtifact(dir: string, manifest: unknown, patch = PATCH): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'changes.patch'), patch);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
}

async function realSha(): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(PATCH).digest('hex');
}

const manifest = async (): Promise<SandboxManifest> => ({
  version: 1,
  sandboxId: 'panic-core-x-0123456789ab',
  backend: 'overlay',
  baseSha: 'a'.repeat(40),
  patchFile: 'changes.patch',
  patchBytes: Buffer.byteLength(PATCH),
  patchSha256: await realSha(),
  filesChanged: 1,
  files: [{ status: 'A', path: 'x' }],
  createdAt: '2026-01-15T10:00:00.000Z',
  exportedAt: '2026-01-15T10:20:00.000Z',
});

describe('loadExportedChanges', () => {
  test('accepts a manifest that matches its patch', async () => {
    const dir = path.join(tmp, 'good');
    writeArtifact(dir, await manifest());
    expect((await loadExportedChanges(dir)).manifest).toEqual(await manifest());
    expect(SHA256_OF_PATCH).not.toBe(await realSha()); // the check below uses a wrong digest
  });

  test('rejects a patch that is not the one described', async () => {
    const tampered = path.join(tmp, 'tampered');
    writeArtifact(tampered, await manifest(), PATCH.replace('x', 'y'));
    await expect(loadExportedChanges(tampered)).rejects.toThrow(/does not match the manifest's SHA-256/);
    const longer = path.join(tmp, 'longer');
    writeArtifact(longer, await manifest(), `${PATCH}more\n`);
    await expect(loadExportedChanges(longer)).rejects.toThrow(/bytes but the manifest says/);
  });

  test('rejects malformed or inconsistent manifests with the offending field', async () => {
    const cases: Array<[Partial<SandboxManifest> | Record<string, unknown>, RegExp]> = [
      [{ baseSha: 'abc123' }, /baseSha: must be a full commit SHA/],
      [{ sandboxId: '../x' }, /sandboxId/],
      [{ filesChanged: 2 }, /filesChanged must equal files.length/],
      [{ files: [{ status: 'R', path: 'x' }] }, /files\.0\.status/],
      [{ extra: true }, /Unrecognized key/],
    ];
    for (const [change, message] of cases) {
      const dir = path.join(tmp, `bad-${Math.random().toString(16).slice(2)}`);
      writeArtifact(dir, { ...(await manifest()), ...change });
      await expect(loadExportedChanges(dir)).rejects.toThrow(message);
    }
    const notJson = path.join(tmp, 'not-json');
    mkdirSync(notJson);
    writeFileSync(path.join(notJson, 'manifest.json'), '{');
    await expect(loadExportedChanges(notJson)).rejects.toThrow(/cannot read sandbox manifest/);
    expect(sandboxManifestSchema.safeParse({ ...(await manifest()), patchBytes: 0 }).success).toBe(false);
  });
});

describe('helpers', () => {
  test('parseNameStatus reads NUL-separated status/path pairs verbatim', () => {
    const raw = Buffer.from('M\0src/a b.rs\0A\0new\nline "q".txt\0D\0ünï\0', 'utf8');
    expect(parseNameStatus(raw)).toEqual([
      { status: 'M', path: 'src/a b.rs' },
      { status: 'A', path: 'new\nline "q".txt' },
      { status: 'D', path: 'ünï' },
    ]);
    expect(parseNameStatus(Buffer.alloc(0))).toEqual([]);
    expect(() => parseNameStatus(Buffer.from('U\0conflict\0'))).toThrow(/unexpected change "U"/);
  });

  test('normalizeSubdir keeps paths inside the repository and safe from option parsing', () => {
    expect(normalizeSubdir(undefined)).toBe('.');
    expect(normalizeSubdir('./')).toBe('.');
    expect(normalizeSubdir('-P')).toBe('./-P');
    expect(normalizeSubdir('a/../b/')).toBe('./b');
    expect(() => normalizeSubdir('a/../../b')).toThrow(/escapes/);
    expect(() => normalizeSubdir('/etc')).toThrow(/must be relative/);
  });

  test('assertOverlaySafePath names the offending path', () => {
    expect(() => assertOverlaySafePath('upper', '/tmp/a:b')).toThrow(/the upper path "\/tmp\/a:b" contains/);
    expect(() => assertOverlaySafePath('upper', '/tmp/a b')).not.toThrow();
  });

  test('removeTree deletes unreadable directories (overlay leaves a mode-000 work dir)', async () => {
    const root = path.join(tmp, 'locked');
    mkdirSync(path.join(root, 'work/work/deep'), { recursive: true });
    writeFileSync(path.join(root, 'work/work/deep/f'), 'x');
    chmodSync(path.join(root, 'work/work/deep'), 0o500);
    chmodSync(path.join(root, 'work/work'), 0o000);
    await removeTree(root);
    expect(existsSync(root)).toBe(false);
    await removeTree(root);
  });

  test('listMountPoints decodes escaped mount points', async () => {
    const file = path.join(tmp, 'mountinfo');
    writeFileSync(
      file,
      '36 35 98:0 / /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw\n22 1 0:5 / / rw - ext4 /dev/vda rw\n',
    );
    expect(await listMountPoints(file)).toEqual(['/mnt/with space', '/']);
  });
});
