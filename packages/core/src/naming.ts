import { createHash } from 'node:crypto';

/**
 * Every name derived from a panic location. Locations come from a database anyone can write to, so
 * a name is built from a readable, restricted-alphabet prefix plus a hash of the exact location:
 * distinct locations never collide, and any location yields a valid, bounded name.
 */
export interface PanicNames {
  /** `[a-z0-9-]`, ≤ 80 chars, unique per location. */
  slug: string;
  /** `fix/panic-<slug>`; passes `git check-ref-format --branch`. */
  branch: string;
  /** Sandbox/session id (AgentFS accepts `[A-Za-z0-9_-]`). */
  sessionId: string;
  /** Regression test base name (without extension), a valid TCL/sqltest identifier too. */
  testName: string;
  /** Artifact name for the workflow (`panic-<slug>`). */
  artifactName: string;
}

const READABLE_MAX = 60;
const HASH_LEN = 12;

export function locationHash(location: string): string {
  return createHash('sha256').update(location, 'utf8').digest('hex').slice(0, HASH_LEN);
}

function readablePart(location: string): string {
  const ascii = location
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\.rs(?=:|$)/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  // Keep the end: file name and line are the informative part of a long path.
  const tail = ascii.length > READABLE_MAX ? ascii.slice(ascii.length - READABLE_MAX) : ascii;
  return tail.replace(/^-+/, '') || 'panic';
}

export function panicNames(location: string): PanicNames {
  if (location.length === 0) throw new Error('panic location must not be empty');
  const slug = `${readablePart(location)}-${locationHash(location)}`;
  return {
    slug,
    branch: `fix/panic-${slug}`,
    sessionId: `panic-${slug}`,
    testName: `panic-${slug}`,
    artifactName: `panic-${slug}`,
  };
}

/** Same rules as `git check-ref-format --branch` for the names we build (checked against git in tests). */
export function isValidBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  if (name.includes('..') || name.includes('//') || name.includes('@{') || name === '@') return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}
