import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Database, SqlExecutor } from './database';

/**
 * PGlite keeps one connection; statements queue on it, so a transaction here excludes all other
 * statements until it ends. Writes reach the data folder's WAL before a commit returns, which
 * makes an acknowledged event survive SIGKILL (tested).
 */
export async function openEmbedded(dataDir: string): Promise<Database> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  return wrapPGlite(await PGlite.create(dir));
}

/** A store in memory only: where verification re-derives the served rows from the events. */
export async function openScratch(): Promise<Database> {
  return wrapPGlite(await PGlite.create());
}

function wrapPGlite(db: PGlite): Database {
  const wrap = (target: Pick<PGlite, 'query' | 'exec'>): SqlExecutor => ({
    query: (sql, params) => target.query(sql, params as unknown[]) as never,
    exec: async (sql) => {
      await target.exec(sql);
    },
  });
  return {
    kind: 'embedded',
    ...wrap(db),
    transaction: (fn) => db.transaction(async (tx) => fn(wrap(tx as never))),
    close: () => db.close(),
  };
}
