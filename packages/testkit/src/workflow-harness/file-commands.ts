/**
 * Parses a runner file-command file (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE): `name=value` lines and
 * `name<<DELIMITER` … `DELIMITER` blocks for multi-line values, as @actions/core writes them.
 */
export function parseFileCommand(content: string, file: string): Array<[string, string]> {
  const lines = content.split(/\r?\n/);
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = line.indexOf('<<');
    const equals = line.indexOf('=');
    if (heredoc > 0 && (equals < 0 || heredoc < equals)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (delimiter === '') throw new Error(`${file}: empty delimiter for '${name}'`);
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]!);
      }
      if (!closed) throw new Error(`${file}: matching delimiter '${delimiter}' not found for '${name}'`);
      pairs.push([checkName(name, file), value.join('\n')]);
    } else if (equals > 0) {
      pairs.push([checkName(line.slice(0, equals), file), line.slice(equals + 1)]);
    } else {
      throw new Error(`${file}: invalid line '${line}' (expected name=value or name<<DELIMITER)`);
    }
  }
  return pairs;
}

function checkName(name: string, file: string): string {
  if (name.trim() === '') throw new Error(`${file}: empty name`);
  return name;
}
