// `npm run demo`: the whole pipeline on this machine, on the embedded default database, against the
// example target, with dry-run PRs. Exits non-zero when anything expected did not happen.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, detectBackend, PanicStore, type Config } from '@panic-fix/core';
import { runLocal, Shutdown } from '../packages/core/src/cli/run-local.js';
import { checkDemo, prepareDemo, type DemoModel } from '../packages/testkit/src/demo/prepare.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// PANIC_FIX_DEMO_DIR moves the demo elsewhere (tests run it in a temp dir).
const DEMO_DIR = path.resolve(process.env.PANIC_FIX_DEMO_DIR || path.join(ROOT, '.panic-fix', 'demo'));

function out(text: string) {
  process.stdout.write(text);
}

async function main(): Promise<number> {
  const started = Date.now();
  out(`panic-fix demo in ${path.relative(process.cwd(), DEMO_DIR) || '.'}\n`);
  await rm(path.join(DEMO_DIR, 'work'), { recursive: true, force: true });
  await mkdir(DEMO_DIR, { recursive: true });

  out('▶ preparing the example target (git repo + bare origin) and the database\n');
  const demo = await prepareDemo({ dir: DEMO_DIR, log: out });
  let model: DemoModel | undefined;
  const shutdown = new Shutdown();
  // Same two-stage stop as `panic-fix run`: the first signal drains, the second kills.
  for (const name of ['SIGINT', 'SIGTERM'] as const)
    process.on(name, () => (shutdown.draining ? shutdown.kill() : shutdown.drain()));
  try {
    model = await demo.startModel();
    out(`▶ model: ${model.description}\n`);
    const config: Config = configSchema.parse(demo.properties);
    await writeFile(path.join(DEMO_DIR, 'properties.json'), `${JSON.stringify(demo.properties, null, 2)}\n`);
    const detection = await detectBackend(config.sandbox, {
      workDir: path.join(DEMO_DIR, 'work'),
      home: process.env.HOME ?? '/root',
    });
    out(`▶ sandbox: ${detection.backend} (${detection.reason})\n`);

    const results = await runLocal({
      config,
      once: true,
      pollMs: 1000,
      workDir: path.join(DEMO_DIR, 'work'),
      shutdown,
      out,
    });
    const result = results[0];
    if (!result) throw new Error('the pipeline did not run');
    const store = await PanicStore.open(config.tursoUrl);
    const rows = await store.list();
    store.close();
    out(
      `\nparallel panics observed: ${result.maxConcurrent} (maxParallelPanics ${config.maxParallelPanics})\n`,
    );
    for (const p of result.panics)
      if (p.prBodyFile) out(`PR body for ${p.location}: ${path.relative(process.cwd(), p.prBodyFile)}\n`);
    const costs = rows.map((r) =>
      Object.values(r.phase_metrics ?? {}).reduce((sum, m) => sum + (m?.cost_usd ?? 0), 0),
    );
    out(`agent cost: $${costs.reduce((a, b) => a + b, 0).toFixed(4)} (${model.description})\n`);
    const problems = await checkDemo(rows);
    out(`total ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    if (problems.length > 0) {
      out(`\nDEMO FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return 1;
    }
    out('\ndemo ok: every panic reached the state it should.\n');
    return 0;
  } finally {
    await model?.close();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(
    `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
});
