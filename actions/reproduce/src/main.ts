import { runPanicAction, runReproduce } from '@panic-fix/core';

await runPanicAction('reproduce', import.meta.url, (job) => runReproduce(job));
