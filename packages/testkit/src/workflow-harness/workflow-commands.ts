import type { Masker } from './masker.js';
import type { WorkflowCommand } from './types.js';

const COMMAND = /^::([A-Za-z][A-Za-z0-9-]*)(?: ([^:]*))?::(.*)$/;
const DEPRECATED = new Set(['set-output', 'save-state', 'set-env', 'add-path']);

function unescapeData(value: string): string {
  return value.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
}

function unescapeProperty(value: string): string {
  return unescapeData(value).replace(/%3A/gi, ':').replace(/%2C/gi, ',');
}

/**
 * Processes the `::command::` lines a step prints, the way the runner does: `add-mask` registers a secret for
 * everything logged afterwards, annotations and groups are recorded, `stop-commands` suspends processing.
 */
export class CommandProcessor {
  readonly commands: WorkflowCommand[] = [];
  private readonly lines: string[] = [];
  private stopToken: string | undefined;

  constructor(private readonly masker: Masker) {}

  /** Feeds one output line (without its newline). Returns an error for commands the harness refuses to emulate. */
  line(text: string): string | undefined {
    const match = COMMAND.exec(text.trimStart());
    if (!match) {
      this.lines.push(this.masker.mask(text));
      return undefined;
    }
    const [, command = '', rawProperties, rawMessage = ''] = match;
    if (this.stopToken !== undefined) {
      if (command === this.stopToken) this.stopToken = undefined;
      else this.lines.push(this.masker.mask(text));
      return undefined;
    }
    const message = unescapeData(rawMessage);
    const properties: Record<string, string> = {};
    for (const part of (rawProperties ?? '').split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) properties[part.slice(0, eq).trim()] = unescapeProperty(part.slice(eq + 1));
    }
    switch (command) {
      case 'add-mask':
        this.masker.add(message);
        this.commands.push({ command, properties, message: '***' });
        return undefined;
      case 'stop-commands':
        this.stopToken = message;
        this.commands.push({ command, properties, message: this.masker.mask(message) });
        return undefined;
      default:
        if (DEPRECATED.has(command)) {
          return `deprecated workflow command '::${command}::' is not emulated: use the GITHUB_OUTPUT/GITHUB_STATE/GITHUB_ENV/GITHUB_PATH files`;
        }
        this.commands.push({ command, properties, message: this.masker.mask(message) });
        if (['error', 'warning', 'notice', 'debug'].includes(command)) {
          this.lines.push(this.masker.mask(`##[${command}]${message}`));
        } else if (command === 'group') {
          this.lines.push(this.masker.mask(`##[group]${message}`));
        } else if (command === 'endgroup') {
          this.lines.push('##[endgroup]');
        }
        return undefined;
    }
  }

  note(text: string): void {
    this.lines.push(this.masker.mask(text));
  }

  log(): string {
    return this.lines.join('\n');
  }
}
