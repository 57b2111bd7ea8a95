/** A plain-text table; cells are cut to one line and a bounded width so a 1 MB message stays readable. */
export function formatTable(headers: string[], rows: string[][], maxCell = 80): string {
  const clean = (cell: string) => {
    const line = cell.replace(/[\r\n\t]+/g, ' ').replace(/\p{Cc}/gu, '?');
    return line.length > maxCell ? `${line.slice(0, maxCell - 1)}…` : line;
  };
  const body = rows.map((r) => r.map(clean));
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]?.length ?? 0)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [fmt(headers), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)];
  if (rows.length === 0) out.push('(no panics)');
  return `${out.join('\n')}\n`;
}
