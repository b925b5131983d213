/** A stored event's text as the store keeps it (src/server/store/storedRaw.ts), for tests that read or forge it with database access. */
import { deflateRawSync } from 'node:zlib';
import type { SqlExecutor } from '../../src/server/store/database';
import { storedText } from '../../src/server/store/storedRaw';

export async function readRaw(db: SqlExecutor, key: string): Promise<string> {
  const row = (await db.query<{ raw: string | null; raw_z: Uint8Array | null }>('SELECT raw, raw_z FROM events WHERE key = $1', [key]))
    .rows[0];
  const text = row ? storedText(row) : null;
  if (text === null) throw new Error(`no readable event ${key}`);
  return text;
}

/** Rewrites an event's text in place, as someone with the database (and not the signing key) could. */
export async function forgeRaw(db: SqlExecutor, key: string, edit: (text: string) => string): Promise<void> {
  const forged = edit(await readRaw(db, key));
  await db.query('UPDATE events SET raw = NULL, raw_z = $2 WHERE key = $1', [key, deflateRawSync(Buffer.from(forged, 'utf8'))]);
}
