import { runPanicAction, runShip } from '@panic-fix/core';

await runPanicAction('ship', import.meta.url, (job, config) => runShip(job, { dryRun: config.dryRun }));
