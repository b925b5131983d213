/**
 * Where a backfill (`lineage sync github`, `lineage sync gitlab`) stands between runs: its phase
 * and page, saved after each page so an interrupted run continues there. A file that does not read
 * as such (another phase list, a broken write) is ignored and the run starts over.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The saved state, checked for a known phase and a page; the caller's own fields come along as saved. */
export function readSyncState(file: string, phases: readonly string[]): { phase: string; page: number } | null {
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as { phase: string; page: number };
    return phases.includes(s.phase) && Number.isInteger(s.page) && s.page >= 1 ? s : null;
  } catch {
    return null;
  }
}

export function writeSyncState(file: string, state: object): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(state));
}
