import { readFile } from 'node:fs/promises';

/** `/proc/self/mountinfo` escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points visible to this process (its mount namespace). */
export async function listMountPoints(mountinfo = '/proc/self/mountinfo'): Promise<string[]> {
  const text = await readFile(mountinfo, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''));
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await listMountPoints()).includes(dir);
}
