import { runFix, runPanicAction } from '@panic-fix/core';

await runPanicAction('fix', import.meta.url, (job) => runFix(job));
