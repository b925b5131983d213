/**
 * What a set of files looks like on disk, as one string: path, change time, size and inode of
 * each, or that it cannot be read (absent, or a path through a file). Files that tools replace by renaming a new one over them (git's
 * config, refs and HEAD) change it on every write, so a cached answer keyed on it is kept exactly
 * while they are unchanged.
 */
import { statSync } from 'node:fs';

export function filesStamp(files: string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${f}:${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        return `${f}:-`;
      }
    })
    .join('|');
}
