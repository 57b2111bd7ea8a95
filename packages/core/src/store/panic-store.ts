import type { Client, InValue, Row } from '@libsql/client';
import {
  ACTIVE_STATUSES,
  assertTransition,
  type Phase,
  type Status,
  type WorkflowError,
} from '../state/machine.js';
import {
  connectLibsql,
  isTransientDbError,
  StoreError,
  withDbRetry,
  type ConnectOptions,
} from './connect.js';
import { zodIssues } from '../util/json-file.js';
import { migrate } from './migrations.js';
import {
  logPayloadSchema,
  newPanicSchema,
  panicRowSchema,
  type LogLevel,
  type LogPayload,
  type NewPanic,
  type PanicRow,
  type PhaseMetrics,
} from './rows.js';

export class DuplicatePanicError extends StoreError {
  override name = 'DuplicatePanicError';
}
/** The caller no longer holds the claim (lease expired and someone else took over, or it was released). */
export class LostClaimError extends StoreError {
  override name = 'LostClaimError';
}
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
}

export interface ClaimOptions {
  owner: string;
  limit: number;
  leaseMs: number;
  /** Claim only this location (workflow_dispatch). */
  location?: string;
  runUrl?: string;
  now?: number;
}

export interface ReclaimResult {
  requeued: string[];
  exhausted: string[];
}

const ACTIVE_SQL = ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ');

/** One log line; `timestamp` defaults to when it is written. */
export interface LogEntry {
  panic_location: string;
  phase: string;
  level: LogLevel;
  message: string;
  timestamp?: string;
  metadata?: Record<string, unknown>;
}

export class PanicStore {
  private constructor(
    private current: Client,
    /** Embedded (`file:`) databases only: a fresh client, to replace one a lock fault has spoiled. */
    private readonly reopen?: () => Promise<Client>,
  ) {}

  get client(): Client {
    return this.current;
  }

  static async open(url: string, authToken?: string, opts: ConnectOptions = {}): Promise<PanicStore> {
    const client = await connectLibsql(url, authToken, opts);
    const embedded = url.startsWith('file:');
    const store = new PanicStore(client, embedded ? () => connectLibsql(url, authToken, opts) : undefined);
    await withDbRetry('schema migration', () => migrate(client));
    return store;
  }

  close(): void {
    this.current.close();
  }

  private async exec(what: string, sql: string, args: InValue[] = []) {
    return withDbRetry(what, async () => {
      const client = this.current;
      try {
        return await client.execute({ sql, args });
      } catch (error) {
        if (this.reopen && isTransientDbError(error)) await this.replaceClient(client);
        throw error;
      }
    });
  }

  /**
   * After SQLITE_BUSY the embedded driver can put the failed connection back in its pool in a state
   * where every later statement on it leaves a lock held, so later writes are not seen by other
   * processes until it is garbage-collected (found by test/reliability/db-faults.test.ts: a transition
   * "succeeded" that other processes never saw). Drop the whole client and open a fresh one.
   */
  private async replaceClient(spoiled: Client): Promise<void> {
    if (this.current !== spoiled) return; // a concurrent call replaced it already
    const fresh = await this.reopen!().catch(() => undefined);
    if (!fresh || this.current !== spoiled) {
      fresh?.close();
      return;
    }
    this.current = fresh;
    spoiled.close();
  }

  private parseRow(row: Row): PanicRow {
    const parsed = panicRowSchema.safeParse({ ...row });
    if (!parsed.success) {
      const issues = zodIssues(parsed.error);
      throw new StoreError(`row for ${JSON.stringify(String(row.panic_location))} is invalid: ${issues}`);
    }
    return parsed.data;
  }

  // --- panics -------------------------------------------------------------------------------------

  /** Inserts a new pending panic; refuses an existing location unless `requeue`. */
  async enqueue(input: NewPanic, opts: { requeue?: boolean; force?: boolean } = {}): Promise<PanicRow> {
    const panic = newPanicSchema.parse(input);
    const inserted = await this.exec(
      'enqueue',
      `INSERT INTO panic_fixes (panic_location, panic_message, sql_statements) VALUES (?, ?, ?)
       ON CONFLICT(panic_location) DO NOTHING RETURNING *`,
      [panic.panic_location, panic.panic_message, panic.sql_statements],
    );
    if (inserted.rows[0]) return this.parseRow(inserted.rows[0]);
    if (!opts.requeue) {
      const existing = await this.get(panic.panic_location);
      throw new DuplicatePanicError(
        `a panic at ${JSON.stringify(panic.panic_location)} is already stored (status ${existing?.status}); ` +
          'use --requeue to reset it to pending with the new message and SQL',
      );
    }
    return this.requeue(panic.panic_location, {
      force: opts.force,
      message: panic.panic_message,
      sql: panic.sql_statements,
    });
  }

  async get(location: string): Promise<PanicRow | undefined> {
    const res = await this.exec('read panic', 'SELECT * FROM panic_fixes WHERE panic_location = ?', [
      location,
    ]);
    return res.rows[0] ? this.parseRow(res.rows[0]) : undefined;
  }

  async require(location: string): Promise<PanicRow> {
    const row = await this.get(location);
    if (!row) throw new NotFoundError(`no panic at ${JSON.stringify(location)}`);
    return row;
  }

  async list(filter: { status?: Status } = {}): Promise<PanicRow[]> {
    const res = filter.status
      ? await this.exec(
          'list panics',
          'SELECT * FROM panic_fixes WHERE status = ? ORDER BY created_at, rowid',
          [filter.status],
        )
      : await this.exec('list panics', 'SELECT * FROM panic_fixes ORDER BY created_at, rowid');
    return res.rows.map((r) => this.parseRow(r));
  }

  /**
   * Back to pending, keeping history. An active row with a live lease is refused unless `force`:
   * requeueing under a running worker would have two workers on one panic.
   */
  async requeue(
    location: string,
    opts: { force?: boolean; message?: string; sql?: string; now?: number } = {},
  ) {
    const row = await this.require(location);
    const now = opts.now ?? Date.now();
    const live = ACTIVE_STATUSES.includes(row.status) && (row.claim_expires_at ?? 0) > now;
    if (live && !opts.force) {
      throw new StoreError(
        `${JSON.stringify(location)} is being worked on (${row.status}, claimed by ${row.claim_owner}); use --force to requeue anyway`,
      );
    }
    if (row.status !== 'pending') assertTransition(row.status, 'pending');
    const res = await this.exec(
      'requeue',
      `UPDATE panic_fixes SET status = 'pending', claim_owner = NULL, claim_expires_at = NULL, attempt = 0,
         retry_count = 0, workflow_error = NULL, skip_reason = NULL,
         panic_message = COALESCE(?, panic_message), sql_statements = COALESCE(?, sql_statements),
         updated_at = CURRENT_TIMESTAMP
       WHERE panic_location = ? RETURNING *`,
      [opts.message ?? null, opts.sql ?? null, location],
    );
    return this.parseRow(res.rows[0]!);
  }

  async skip(location: string, reason: string): Promise<PanicRow> {
    const res = await this.exec(
      'skip',
      `UPDATE panic_fixes SET status = 'skipped', skip_reason = ?, updated_at = CURRENT_TIMESTAMP
       WHERE panic_location = ? AND (status = 'pending' OR status IS NULL) RETURNING *`,
      [reason, location],
    );
    if (!res.rows[0]) throw new LostClaimError(`${JSON.stringify(location)} is no longer pending`);
    return this.parseRow(res.rows[0]);
  }

  /**
   * Claims up to `limit` pending panics in ONE conditional UPDATE: two processes racing on the same
   * rows can never both win a row, because SQLite serialises writers and the WHERE re-checks status.
   */
  async claim(opts: ClaimOptions): Promise<PanicRow[]> {
    const now = opts.now ?? Date.now();
    const byLocation = opts.location !== undefined;
    const res = await this.exec(
      'claim panics',
      `UPDATE panic_fixes
         SET status = 'repo_setup', claim_owner = ?, claim_expires_at = ?, attempt = attempt + 1,
             run_url = COALESCE(?, run_url), updated_at = CURRENT_TIMESTAMP
       WHERE (status = 'pending' OR status IS NULL)
         AND panic_location IN (
           SELECT panic_location FROM panic_fixes
            WHERE (status = 'pending' OR status IS NULL) ${byLocation ? 'AND panic_location = ?' : ''}
            ORDER BY created_at, rowid LIMIT ?)
       RETURNING *`,
      [
        opts.owner,
        now + opts.leaseMs,
        opts.runUrl ?? null,
        ...(byLocation ? [opts.location!] : []),
        opts.limit,
      ],
    );
    return res.rows
      .map((r) => this.parseRow(r))
      .sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? ''));
  }

  /**
   * Active rows whose lease expired: back to pending (retry counted) or, past maxAttempts, to
   * needs_human_review. One UPDATE each, so a worker renewing at the same instant wins or loses cleanly.
   */
  async reclaimExpired(opts: { maxAttempts: number; now?: number }): Promise<ReclaimResult> {
    const now = opts.now ?? Date.now();
    const exhausted = await this.exec(
      'reclaim expired (exhausted)',
      `UPDATE panic_fixes
         SET status = 'needs_human_review',
             workflow_error = json_object('phase', CASE status WHEN 'repo_setup' THEN 'repo_setup'
                 WHEN 'reproducing' THEN 'reproducing' WHEN 'fixing' THEN 'fixing' ELSE 'shipping' END,
               'error', 'lease expired in ' || status || ' (owner ' || COALESCE(claim_owner, '?') || ') after ' ||
                 attempt || ' attempt(s); no attempts left',
               'attempt', attempt, 'timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
             claim_owner = NULL, claim_expires_at = NULL, updated_at = CURRENT_TIMESTAMP
       WHERE status IN (${ACTIVE_SQL}) AND claim_expires_at < ? AND attempt >= ?
       RETURNING panic_location`,
      [now, opts.maxAttempts],
    );
    const requeued = await this.exec(
      'reclaim expired',
      `UPDATE panic_fixes
         SET status = 'pending', retry_count = retry_count + 1, claim_owner = NULL, claim_expires_at = NULL,
             updated_at = CURRENT_TIMESTAMP
       WHERE status IN (${ACTIVE_SQL}) AND claim_expires_at < ? AND attempt < ?
       RETURNING panic_location`,
      [now, opts.maxAttempts],
    );
    return {
      requeued: requeued.rows.map((r) => String(r.panic_location)),
      exhausted: exhausted.rows.map((r) => String(r.panic_location)),
    };
  }

  /** Moves a claimed panic between states; fenced by owner and current status. */
  async transition(args: {
    location: string;
    owner: string;
    from: Status;
    to: Status;
    leaseMs?: number;
    set?: Partial<Pick<PanicRow, 'branch_name' | 'pr_url' | 'base_commit' | 'failing_seed' | 'run_url'>>;
    error?: WorkflowError;
    now?: number;
  }): Promise<PanicRow> {
    assertTransition(args.from, args.to);
    const now = args.now ?? Date.now();
    const releases = !ACTIVE_STATUSES.includes(args.to);
    const sets: string[] = ['status = ?', 'updated_at = CURRENT_TIMESTAMP'];
    const values: InValue[] = [args.to];
    if (releases) sets.push('claim_owner = NULL', 'claim_expires_at = NULL');
    else if (args.leaseMs) {
      sets.push('claim_expires_at = ?');
      values.push(now + args.leaseMs);
    }
    for (const [key, value] of Object.entries(args.set ?? {})) {
      if (value === undefined) continue;
      sets.push(`${key} = ?`);
      values.push(value);
    }
    if (args.error) {
      sets.push('workflow_error = ?');
      values.push(JSON.stringify(args.error));
    }
    const res = await this.exec(
      `transition ${args.from} → ${args.to}`,
      `UPDATE panic_fixes SET ${sets.join(', ')}
       WHERE panic_location = ? AND status = ? AND claim_owner = ? AND claim_expires_at >= ? RETURNING *`,
      [...values, args.location, args.from, args.owner, now],
    );
    if (!res.rows[0]) {
      const row = await this.get(args.location);
      throw new LostClaimError(
        `cannot move ${JSON.stringify(args.location)} ${args.from} → ${args.to}: it is ${row?.status ?? 'gone'}` +
          (row?.claim_owner && row.claim_owner !== args.owner ? ` and claimed by ${row.claim_owner}` : '') +
          ((row?.claim_expires_at ?? Infinity) < now ? ' (lease expired)' : ''),
      );
    }
    return this.parseRow(res.rows[0]);
  }

  /** Any failure: needs_human_review with `{phase, error, attempt, timestamp, run_url}`. */
  async fail(args: {
    location: string;
    owner: string;
    from: Status;
    phase: Phase;
    error: string;
    runUrl?: string;
  }) {
    const row = await this.require(args.location);
    return this.transition({
      location: args.location,
      owner: args.owner,
      from: args.from,
      to: 'needs_human_review',
      error: {
        phase: args.phase,
        error: args.error,
        attempt: row.attempt,
        timestamp: new Date().toISOString(),
        ...(args.runUrl ? { run_url: args.runUrl } : {}),
      },
    });
  }

  async renewLease(location: string, owner: string, leaseMs: number, now = Date.now()): Promise<void> {
    const res = await this.exec(
      'renew lease',
      `UPDATE panic_fixes SET claim_expires_at = ? WHERE panic_location = ? AND claim_owner = ? AND claim_expires_at >= ?`,
      [now + leaseMs, location, owner, now],
    );
    if (res.rowsAffected === 0) throw new LostClaimError(`lost the claim on ${JSON.stringify(location)}`);
  }

  /** A clean give-back (shutdown): back to pending without counting the attempt as used. */
  async release(location: string, owner: string): Promise<boolean> {
    const res = await this.exec(
      'release claim',
      `UPDATE panic_fixes SET status = 'pending', claim_owner = NULL, claim_expires_at = NULL,
         attempt = MAX(attempt - 1, 0), updated_at = CURRENT_TIMESTAMP
       WHERE panic_location = ? AND claim_owner = ? AND status IN (${ACTIVE_SQL})`,
      [location, owner],
    );
    return res.rowsAffected > 0;
  }

  async recordPhase(location: string, phase: Phase, metrics: PhaseMetrics[Phase]): Promise<void> {
    const row = await this.require(location);
    const merged = {
      ...(row.phase_metrics ?? {}),
      [phase]: { ...(row.phase_metrics?.[phase] ?? {}), ...metrics },
    };
    await this.exec(
      'record phase metrics',
      'UPDATE panic_fixes SET phase_metrics = ? WHERE panic_location = ?',
      [JSON.stringify(merged), location],
    );
  }

  // --- logs ---------------------------------------------------------------------------------------

  async log(entry: LogEntry): Promise<void> {
    await this.logMany([entry]);
  }

  /** Several log lines in one statement per 500 (one commit instead of one per line). */
  async logMany(entries: readonly LogEntry[]): Promise<void> {
    const now = new Date().toISOString();
    const payloads = entries.map((entry) =>
      JSON.stringify(
        logPayloadSchema.parse({ ...entry, timestamp: entry.timestamp ?? now }) satisfies LogPayload,
      ),
    );
    for (let i = 0; i < payloads.length; i += 500) {
      const chunk = payloads.slice(i, i + 500);
      await this.exec(
        'write log',
        `INSERT INTO logs (payload) VALUES ${chunk.map(() => '(?)').join(', ')}`,
        chunk,
      );
    }
  }

  async logs(opts: { location?: string; limit?: number } = {}): Promise<(LogPayload & { id: number })[]> {
    const limit = opts.limit ?? 200;
    const res = opts.location
      ? await this.exec(
          'read logs',
          `SELECT id, payload FROM logs WHERE json_extract(payload, '$.panic_location') = ? ORDER BY id DESC LIMIT ?`,
          [opts.location, limit],
        )
      : await this.exec('read logs', 'SELECT id, payload FROM logs ORDER BY id DESC LIMIT ?', [limit]);
    return res.rows
      .map((r) => {
        const parsed = logPayloadSchema.safeParse(safeJson(String(r.payload)));
        return parsed.success ? { ...parsed.data, id: Number(r.id) } : undefined;
      })
      .filter((x): x is LogPayload & { id: number } => x !== undefined)
      .reverse();
  }

  // --- preflight verdicts -------------------------------------------------------------------------

  async preflightVerdict(baseCommit: string, configHash: string) {
    const res = await this.exec(
      'read preflight verdict',
      'SELECT * FROM preflight_verdicts WHERE base_commit = ? AND config_hash = ?',
      [baseCommit, configHash],
    );
    const row = res.rows[0];
    if (!row) return undefined;
    return {
      ok: Number(row.ok) === 1,
      detail: String(row.detail),
      durationMs: Number(row.duration_ms),
      verifiedAt: String(row.verified_at),
    };
  }

  async savePreflightVerdict(v: {
    baseCommit: string;
    configHash: string;
    ok: boolean;
    detail: string;
    durationMs: number;
  }) {
    await this.exec(
      'save preflight verdict',
      `INSERT INTO preflight_verdicts (base_commit, config_hash, ok, detail, duration_ms, verified_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(base_commit, config_hash) DO UPDATE SET ok = excluded.ok, detail = excluded.detail,
         duration_ms = excluded.duration_ms, verified_at = excluded.verified_at`,
      [v.baseCommit, v.configHash, v.ok ? 1 : 0, v.detail, v.durationMs, new Date().toISOString()],
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
