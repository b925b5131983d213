/**
 * Answers by key, computed once while asked for again and again (the hover, gutter, CodeLens and
 * status bar ask for the same file at once). Bounded: the oldest key goes first. A failed
 * computation is dropped at once, so the next request tries again instead of being served an error.
 */
export class BoundedCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = compute();
      const settled = entry;
      settled.catch(() => {
        if (this.entries.get(key) === settled) this.entries.delete(key);
      });
      this.entries.set(key, settled);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Puts an answer already at hand (a batch read), under the same bound. */
  set(key: string, value: Promise<T>): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
