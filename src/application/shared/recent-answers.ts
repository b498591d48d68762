/**
 * Answers of a read kept for a short, bounded time: one call per key and period serves every caller meanwhile,
 * and concurrent misses share one call. A failed call is not kept. At most `maxEntries` keys (then it starts
 * over), so memory stays bounded whatever keys callers ask for.
 */
export class RecentAnswers<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(private readonly maxEntries = 2_000) {}

  get(key: string, maxAgeMs: number, load: () => Promise<T>): Promise<T> {
    if (maxAgeMs <= 0) return load();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at <= maxAgeMs) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const entry = { at: now, value: load() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }

  /** The next get() of the key calls again. */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
