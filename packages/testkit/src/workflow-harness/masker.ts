/** Replaces registered secret values with `***`, like the runner does for every log line. */
export class Masker {
  private readonly values = new Set<string>();
  private ordered: string[] = [];

  add(value: string): void {
    const candidates = [value, ...value.split(/\r?\n/).map((line) => line.trim())];
    let changed = false;
    for (const candidate of candidates) {
      // Masking one-character values would shred every log; the runner skips them as well.
      if (candidate.length < 2 || this.values.has(candidate)) continue;
      this.values.add(candidate);
      changed = true;
    }
    if (changed) this.ordered = [...this.values].sort((a, b) => b.length - a.length);
  }

  has(value: string): boolean {
    return this.ordered.some((secret) => value.includes(secret));
  }

  mask(text: string): string {
    let out = text;
    for (const secret of this.ordered) out = out.split(secret).join('***');
    return out;
  }
}
