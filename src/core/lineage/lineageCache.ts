/**
 * Whole-file lineage cached per (path, buffer hash): the hover, the gutter and the status bar ask
 * for one line at a time, and answering from the file's report costs a hash and a lookup. The
 * owner invalidates it when HEAD moves or the service's data version changes; a failed
 * computation is evicted at once so the next request retries.
 */
import type { FileLineage, LineLineage } from './lineLineage';
import { bufferHash } from './fileLineage';

export class LineageCache {
  private readonly entries = new Map<string, Promise<FileLineage>>();

  constructor(private readonly maxEntries = 64) {}

  file(path: string, buffer: string, compute: () => Promise<FileLineage>): Promise<FileLineage> {
    const key = `${path}\u0000${bufferHash(buffer)}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = compute();
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }

  /** One line (1-based) of a file's lineage. */
  async line(path: string, buffer: string, line: number, compute: () => Promise<FileLineage>): Promise<LineLineage | undefined> {
    return (await this.file(path, buffer, compute)).lines[line - 1];
  }

  invalidate(): void {
    this.entries.clear();
  }

  private generation: string | undefined;

  /**
   * Tells the cache the current HEAD and the source's data version (the service's health
   * `dataVersion`); when either differs from the last call, every entry is dropped. Returns true
   * when it did so.
   */
  sync(head: string | null, dataVersion: string | null): boolean {
    const generation = `${head ?? ''}\u0000${dataVersion ?? ''}`;
    const changed = this.generation !== undefined && this.generation !== generation;
    this.generation = generation;
    if (changed) this.invalidate();
    return changed;
  }
}
