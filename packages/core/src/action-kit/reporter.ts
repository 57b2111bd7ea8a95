import * as core from '@actions/core';
import type { Reporter } from '../pipeline/reporter.js';

/** The Actions runner's log: groups, annotations, masking and the job summary. */
export function actionReporter(): Reporter {
  return {
    log(level, message) {
      if (level === 'debug') core.debug(message);
      else if (level === 'warn') core.warning(message);
      else if (level === 'error') core.error(message);
      else core.info(message);
    },
    group: (title, fn) => core.group(title, fn),
    summary(markdown) {
      core.summary.addRaw(`${markdown}\n`, true);
    },
    annotate(level, title, message) {
      if (level === 'error') core.error(message, { title });
      else core.warning(message, { title });
    },
    mask(secret) {
      if (secret) core.setSecret(secret);
    },
  };
}
