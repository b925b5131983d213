/**
 * Answers by key, computed once while asked for again and again (the hover, gutter, CodeLens and
 * status bar ask for the same file at once). Bounded by a number of entries and, where a size can
 * be told, by bytes: the least recently used key goes first, and an answer larger than the whole
 * budget is handed to those who asked and not kept. A failed computation is dropped at once, so
 * the next request tries again instead of being served an error.
 */
export interface CacheBudget<T> {
  maxBytes: number;
  /** About how many bytes a value holds in memory. */
  sizeOf: (value: T) => number;
}

export class BoundedCache<T> {
  private readonly entries = new Map<string, Promise<T>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly budget?: CacheBudget<T>,
  ) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      // Used again: to the back of the line.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const settled = compute();
    this.keep(key, settled);
    return settled;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Puts an answer already at hand (a batch read), under the same bounds. */
  set(key: string, value: Promise<T>): void {
    this.remove(key);
    this.keep(key, value);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held by the answers that have arrived (0 without a budget). */
  get byteSize(): number {
    return this.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.sizes.clear();
    this.bytes = 0;
  }

  private keep(key: string, settled: Promise<T>): void {
    this.entries.set(key, settled);
    settled.then(
      (value) => {
        if (!this.budget || this.entries.get(key) !== settled) return;
        const size = this.budget.sizeOf(value);
        if (size > this.budget.maxBytes) {
          this.remove(key);
          return;
        }
        this.sizes.set(key, size);
        this.bytes += size;
        this.shrink();
      },
      () => {
        if (this.entries.get(key) === settled) this.remove(key);
      },
    );
    this.shrink();
  }

  private shrink(): void {
    while (this.entries.size > this.maxEntries || (this.budget && this.bytes > this.budget.maxBytes && this.entries.size > 0)) {
      this.remove(this.entries.keys().next().value!);
    }
  }

  private remove(key: string): void {
    this.entries.delete(key);
    const size = this.sizes.get(key);
    if (size !== undefined) {
      this.bytes -= size;
      this.sizes.delete(key);
    }
  }
}
