import type { Client } from '@libsql/client';

/**
 * Schema versions, applied in order and recorded in `panic_fix_schema`. Only additive changes:
 * a migration never drops or rewrites data, so older readers and the seed's INSERT keep working.
 */
export const MIGRATIONS: readonly { version: number; description: string; statements: string[] }[] = [
  {
    version: 1,
    description: "the seed's tables",
    statements: [
      `CREATE TABLE IF NOT EXISTS panic_fixes (
        panic_location TEXT PRIMARY KEY,
        status TEXT DEFAULT 'pending',
        panic_message TEXT NOT NULL,
        sql_statements TEXT NOT NULL,
        branch_name TEXT,
        pr_url TEXT,
        retry_count INTEGER DEFAULT 0,
        workflow_error TEXT,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
      )`,
      `CREATE TABLE IF NOT EXISTS logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        payload TEXT NOT NULL,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
      )`,
    ],
  },
  {
    version: 2,
    description: 'claims, leases, attempts, reproduction and per-phase metrics',
    statements: [
      'ALTER TABLE panic_fixes ADD COLUMN claim_owner TEXT',
      'ALTER TABLE panic_fixes ADD COLUMN claim_expires_at INTEGER',
      'ALTER TABLE panic_fixes ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0',
      'ALTER TABLE panic_fixes ADD COLUMN base_commit TEXT',
      'ALTER TABLE panic_fixes ADD COLUMN failing_seed TEXT',
      'ALTER TABLE panic_fixes ADD COLUMN skip_reason TEXT',
      'ALTER TABLE panic_fixes ADD COLUMN phase_metrics TEXT',
      'ALTER TABLE panic_fixes ADD COLUMN run_url TEXT',
      'CREATE INDEX IF NOT EXISTS panic_fixes_status ON panic_fixes(status, created_at)',
      `CREATE INDEX IF NOT EXISTS logs_location ON logs(json_extract(payload, '$.panic_location'), id)`,
      `CREATE TABLE IF NOT EXISTS preflight_verdicts (
        base_commit TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        ok INTEGER NOT NULL,
        detail TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        verified_at TEXT NOT NULL,
        PRIMARY KEY (base_commit, config_hash)
      )`,
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export async function migrate(client: Client): Promise<{ from: number; to: number }> {
  await client.execute(
    'CREATE TABLE IF NOT EXISTS panic_fix_schema (version INTEGER PRIMARY KEY, description TEXT, applied_at TEXT)',
  );
  const current = Number(
    (await client.execute('SELECT MAX(version) AS v FROM panic_fix_schema')).rows[0]?.v ?? 0,
  );
  if (current > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `database schema version ${current} is newer than this panic-fix (${LATEST_SCHEMA_VERSION}); upgrade panic-fix`,
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    // A database created by the seed already has v1 tables, perhaps with some v2 columns: skip what exists.
    const existing = await existingColumns(client);
    const statements = migration.statements.filter((sql) => {
      const m = /^ALTER TABLE (\w+) ADD COLUMN (\w+)/.exec(sql);
      return !m || !existing.has(`${m[1]}.${m[2]}`);
    });
    await client.batch(
      [
        ...statements,
        {
          sql: 'INSERT INTO panic_fix_schema (version, description, applied_at) VALUES (?, ?, ?)',
          args: [migration.version, migration.description, new Date().toISOString()],
        },
      ],
      'write',
    );
  }
  return { from: current, to: LATEST_SCHEMA_VERSION };
}

async function existingColumns(client: Client): Promise<Set<string>> {
  const columns = new Set<string>();
  for (const table of ['panic_fixes', 'logs']) {
    const rows = await client.execute(`SELECT name FROM pragma_table_info('${table}')`);
    for (const row of rows.rows) columns.add(`${table}.${String(row.name)}`);
  }
  return columns;
}
