// Claims repeat across tokens: every token carries the same scope and kid, and a user's tokens the
// same sub, username and groups. Cached tokens share one copy of each, which nearly halves a cached
// token's heap (measured in BENCHMARKS.md, "RSS").

export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();

  /** `limit`: distinct values kept per kind; when reached the table starts over (sharing is an optimisation, never needed). */
  constructor(private readonly limit = 50_000) {}

  string(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    if (this.strings.size >= this.limit) this.strings.clear();
    this.strings.set(value, value);
    return value;
  }

  /** A frozen list equal to `values`; the same object for equal lists. */
  list(values: string[]): readonly string[] {
    const key = values.join("\u0000");
    const known = this.lists.get(key);
    if (known !== undefined) return known;
    if (this.lists.size >= this.limit) this.lists.clear();
    const list = Object.freeze(values.map((v) => this.string(v)));
    this.lists.set(key, list);
    return list;
  }
}
