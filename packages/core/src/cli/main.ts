import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ZodError } from 'zod';
import { loadConfig } from '../config/load.js';
import { PanicStore } from '../store/panic-store.js';
import { statusSchema } from '../state/machine.js';
import { formatTable } from './table.js';
import { loadLocalConfig, runLocal, Shutdown } from './run-local.js';
import { resolveDatabase } from './database-option.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Signals (SIGINT/SIGTERM) drive this in `run`: first drains, second kills. */
  shutdown?: Shutdown;
}

const COMMON = {
  db: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

interface Command {
  summary: string;
  usage: string;
  options: ParseArgsConfig['options'];
  run: (args: {
    values: Record<string, unknown>;
    positionals: string[];
    io: CliIo;
    /** Opened on first use; runCli closes it when the command ends. */
    store: () => Promise<PanicStore>;
  }) => Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  'init-db': {
    summary: 'create or migrate the state database',
    usage: 'panic-fix init-db [--db URL]',
    options: {},
    async run({ store, io }) {
      await store();
      io.stdout('database ready\n');
    },
  },
  enqueue: {
    summary: 'add a pending panic',
    usage:
      'panic-fix enqueue <location> (--message TEXT | --message-file FILE) (--sql TEXT | --sql-file FILE|-) [--requeue [--force]]',
    options: {
      message: { type: 'string' },
      'message-file': { type: 'string' },
      sql: { type: 'string' },
      'sql-file': { type: 'string' },
      requeue: { type: 'boolean' },
      force: { type: 'boolean' },
    },
    async run({ values, positionals, io, store }) {
      const [location, ...extra] = positionals;
      if (!location || extra.length) throw new UsageError('enqueue takes exactly one <location>');
      const message = await textOption(values, 'message', io);
      const sql = await textOption(values, 'sql', io);
      const s = await store();
      const row = await s.enqueue(
        { panic_location: location, panic_message: message, sql_statements: sql },
        { requeue: Boolean(values.requeue), force: Boolean(values.force) },
      );
      io.stdout(
        `${values.requeue ? 'requeued' : 'enqueued'} ${JSON.stringify(row.panic_location)} (status ${row.status})\n`,
      );
    },
  },
  status: {
    summary: 'show every panic and its state',
    usage: 'panic-fix status [--status STATE] [--json]',
    options: { json: { type: 'boolean' }, status: { type: 'string' } },
    async run({ values, io, store }) {
      const status = values.status === undefined ? undefined : statusSchema.safeParse(values.status);
      if (status && !status.success)
        throw new UsageError(`--status must be one of ${statusSchema.options.join(', ')}`);
      const s = await store();
      const rows = await s.list(status ? { status: status.data } : {});
      if (values.json) {
        io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      io.stdout(
        formatTable(
          ['location', 'status', 'attempt', 'seed', 'result'],
          rows.map((r) => [
            r.panic_location,
            r.status,
            String(r.attempt),
            r.failing_seed ?? '',
            r.pr_url ??
              r.skip_reason ??
              (r.workflow_error ? `${r.workflow_error.phase}: ${r.workflow_error.error}` : ''),
          ]),
        ),
      );
    },
  },
  logs: {
    summary: 'show recent log entries, for one panic or all',
    usage: 'panic-fix logs [location] [--limit N] [--json]',
    options: { json: { type: 'boolean' }, limit: { type: 'string' } },
    async run({ values, positionals, io, store }) {
      if (positionals.length > 1) throw new UsageError('logs takes at most one <location>');
      const limit = values.limit === undefined ? 200 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
        throw new UsageError('--limit must be 1..100000');
      const s = await store();
      const entries = await s.logs({ location: positionals[0], limit });
      if (values.json) io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
      else
        for (const e of entries)
          io.stdout(
            `${e.timestamp} ${e.level.toUpperCase().padEnd(5)} [${e.phase}] ${e.panic_location}: ${oneLine(e.message)}\n`,
          );
    },
  },
  run: {
    summary: 'run the pipeline on this machine (preflight → reproduce → fix → ship), polling',
    usage: 'panic-fix run [--once] [--location LOCATION] [--poll-seconds N] [--work-dir DIR]',
    options: {
      once: { type: 'boolean' },
      location: { type: 'string' },
      'poll-seconds': { type: 'string' },
      'work-dir': { type: 'string' },
    },
    async run({ values, positionals, io }) {
      if (positionals.length) throw new UsageError('run takes no positional arguments');
      const pollSeconds = values['poll-seconds'] === undefined ? 60 : Number(values['poll-seconds']);
      if (!Number.isFinite(pollSeconds) || pollSeconds < 1)
        throw new UsageError('--poll-seconds must be a number ≥ 1');
      const config = await loadLocalConfig({
        configFile: (values.config as string | undefined) ?? 'properties.json',
        ...(values.db ? { db: values.db as string } : {}),
        env: io.env,
        cwd: io.cwd,
      });
      const shutdown = io.shutdown ?? new Shutdown();
      const results = await runLocal({
        config,
        once: Boolean(values.once),
        pollMs: pollSeconds * 1000,
        ...(values.location ? { location: values.location as string } : {}),
        workDir: path.resolve(
          io.cwd,
          (values['work-dir'] as string | undefined) ?? config.sandbox.workDir ?? '.panic-fix/work',
        ),
        shutdown,
        out: io.stdout,
      });
      if (shutdown.killed) throw new Error('stopped by a second signal; claims released');
      const last = results.at(-1);
      if (last?.stopped === 'drained')
        io.stderr('stopped: in-flight panics finished their phase and released their claims\n');
    },
  },
  requeue: {
    summary: 'put a panic back to pending (e.g. from needs_human_review)',
    usage: 'panic-fix requeue <location> [--force]',
    options: { force: { type: 'boolean' } },
    async run({ values, positionals, io, store }) {
      const [location, ...extra] = positionals;
      if (!location || extra.length) throw new UsageError('requeue takes exactly one <location>');
      const s = await store();
      const row = await s.requeue(location, { force: Boolean(values.force) });
      io.stdout(`requeued ${JSON.stringify(row.panic_location)}\n`);
    },
  },
};

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ⏎ ');
}

async function textOption(
  values: Record<string, unknown>,
  name: 'message' | 'sql',
  io: CliIo,
): Promise<string> {
  const inline = values[name] as string | undefined;
  const file = values[`${name}-file`] as string | undefined;
  if ((inline === undefined) === (file === undefined))
    throw new UsageError(`give exactly one of --${name} or --${name}-file`);
  if (inline !== undefined) return inline;
  if (file === '-') return io.readStdin();
  let bytes: Buffer;
  try {
    bytes = await readFile(file!);
  } catch (error) {
    throw new UsageError(
      `cannot read --${name}-file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  return decodeUtf8(bytes, `--${name}-file ${file}`);
}

/**
 * Strict UTF-8: a lenient decode would silently turn invalid bytes into U+FFFD and store SQL that is
 * not what was given, so the input is refused instead.
 */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new UsageError(`${what} is not valid UTF-8; convert it (e.g. with iconv) and try again`);
  }
}

function helpText(): string {
  const lines = ['Usage: panic-fix <command> [options]', '', 'Commands:'];
  for (const [name, cmd] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  lines.push(
    '',
    'Common options:',
    '  --db URL        state database (file:path.db, libsql://…); default from TURSO_URL, properties.json, or',
    '                  file:.panic-fix/panic-fix.db',
    '  --config FILE   properties.json (default ./properties.json)',
    '  -h, --help      help for a command',
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage error.',
  );
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(helpText());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`panic-fix: unknown command ${JSON.stringify(name)}\n\n${helpText()}`);
    return 2;
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.stderr(`panic-fix ${name}: ${(error as Error).message}\nusage: ${command.usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout(`usage: ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  // Opened on a command's first use and closed here, however the command ends.
  let opened: PanicStore | undefined;
  const store = async () => {
    if (opened) return opened;
    const db = await resolveDatabase({
      flag: parsed.values.db as string | undefined,
      configFile: (parsed.values.config as string | undefined) ?? 'properties.json',
      env: io.env,
      cwd: io.cwd,
      load: loadConfig,
    });
    opened = await PanicStore.open(db.url, db.authToken);
    return opened;
  };
  try {
    await command.run({ values: parsed.values, positionals: parsed.positionals, io, store });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`panic-fix ${name}: ${error.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    io.stderr(`panic-fix ${name}: ${describeError(error)}\n`);
    return 1;
  } finally {
    opened?.close();
  }
}

function describeError(error: unknown): string {
  if (error instanceof ZodError) return error.issues.map((i) => i.message).join('; ');
  return error instanceof Error ? error.message : String(error);
}
