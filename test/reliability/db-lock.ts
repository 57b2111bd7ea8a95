import { spawn } from 'node:child_process';

/**
 * Another process holding the state DB's write lock: the sqlite3 shell inside `BEGIN EXCLUSIVE`.
 * (Tests run as root, where a read-only file or directory stops nothing; a held lock does: every
 * statement of the pipeline waits busy_timeout, then fails with SQLITE_BUSY.)
 */
export interface DbLock {
  release(): Promise<void>;
}

export async function lockDatabase(dbFile: string): Promise<DbLock> {
  const child = spawn('sqlite3', [dbFile], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  // A long busy_timeout so taking the lock waits for a pipeline write in progress instead of failing.
  child.stdin.write(".timeout 20000\nBEGIN EXCLUSIVE;\nSELECT 'locked-' || count(*) FROM sqlite_master;\n");
  const deadline = Date.now() + 30_000;
  while (!/locked-\d+/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`could not lock ${dbFile}: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    async release() {
      child.stdin.end('COMMIT;\n.quit\n');
      const code = await exited;
      if (code !== 0) throw new Error(`sqlite3 exited ${code}: ${out}`);
    },
  };
}
