import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Database } from './database';
import { openStoreThread } from './storeThread';

/**
 * PGlite keeps one connection, on a thread of its own (storeThread); statements queue on it, so a
 * transaction here excludes all other statements until it ends. Writes reach the data folder's WAL
 * before a commit returns, which makes an acknowledged event survive SIGKILL (tested).
 */
export async function openEmbedded(dataDir: string): Promise<Database> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  return openStoreThread(dir);
}

/** A store in memory only: where verification re-derives the served rows from the events. */
export async function openScratch(): Promise<Database> {
  return openStoreThread(null);
}
