/**
 * The retention cut as the store keeps it: the last entry dropped (its sequence number and hash),
 * the state at that entry of the rows kept past it, the digest of that state, and the service's
 * signature over all three. Verification starts the chain from the cut and replays the kept
 * entries on top of that state; a changed base row, cut or signature breaks it.
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { cutMessage, sha256Text } from '../../core/audit/chain';
import type { Database, SqlExecutor } from '../store/database';
import type { CheckpointSigner } from './signer';

export interface Cut {
  seq: number;
  hash: string;
  baseDigest: string;
  signature: string;
  keyId: string;
  publicKey: string;
}

export interface BaseRow {
  tbl: string;
  json: string;
}

export async function readCut(db: SqlExecutor): Promise<Cut | null> {
  const r = (await db.query('SELECT seq, hash, base_digest, signature, key_id, public_key FROM audit_cut WHERE id = 1')).rows[0];
  return r
    ? {
        seq: Number(r.seq),
        hash: String(r.hash),
        baseDigest: String(r.base_digest),
        signature: String(r.signature),
        keyId: String(r.key_id),
        publicKey: String(r.public_key),
      }
    : null;
}

export async function readBase(db: SqlExecutor): Promise<BaseRow[]> {
  const r = await db.query<{ tbl: string; row_json: string }>('SELECT tbl, row_json FROM retained_base ORDER BY ord');
  return r.rows.map((x) => ({ tbl: x.tbl, json: x.row_json }));
}

/** The digest the cut signs: every base row, in order, as stored. */
export function baseDigest(rows: BaseRow[]): string {
  return sha256Text(rows.map((r) => `${r.tbl}\t${r.json}`).join('\n'));
}

/** Why the cut cannot be trusted under this service's key, or null. */
export function cutProblem(cut: Cut, rows: BaseRow[], signer: CheckpointSigner): string | null {
  if (cut.keyId !== signer.keyId)
    return `the retention cut at entry ${cut.seq} was signed by key ${cut.keyId}, not this service's key ${signer.keyId}`;
  const key = createPublicKey({ key: Buffer.from(signer.publicKey, 'base64'), format: 'der', type: 'spki' });
  if (!verifySignature(null, cutMessage(cut.seq, cut.hash, cut.baseDigest), key, Buffer.from(cut.signature, 'base64')))
    return `the signature on the retention cut at entry ${cut.seq} does not verify`;
  if (baseDigest(rows) !== cut.baseDigest)
    return `the rows kept at the retention cut (entry ${cut.seq}) are not the ones it signed: the store was changed`;
  return null;
}

/** Puts the base rows into a (scratch) store, as they were at the cut. */
export async function seedBase(db: Database, rows: BaseRow[]): Promise<void> {
  if (!rows.length) return;
  await db.transaction(async (tx) => {
    for (const r of rows) await tx.query(`INSERT INTO ${r.tbl} SELECT * FROM json_populate_record(NULL::${r.tbl}, $1::json)`, [r.json]);
  });
}
