/**
 * Retention (`lineage serve --retain 400d --archive DIR`): facts older than the window leave the
 * hot tables, but only after they were exported and the export verified.
 *
 * A pass picks the cut: the newest signed checkpoint whose entry is older than the window. It
 * writes the entries since the last cut up to it (with their events and that checkpoint) to
 * DIR/entries-<from>-<to>, verifies the directory offline under this service's key, and replays
 * the chain up to the cut into a scratch store (which also checks it). Then, in one transaction
 * that holds the chain head (so no event is written meanwhile): every row last written before the
 * cut is removed, unless it belongs with one written after it (a deployment with a newer approval,
 * a pull request with a newer review or commit, a finding seen again); the rows kept get their
 * state at the cut stored as the base; events and entries up to the cut go; and the cut (its
 * entry, hash and the base's digest) is signed. Verification then starts from the cut: the export
 * holds the chain before it, the store everything after.
 */
import { join } from 'node:path';
import { verifyExport } from '../../core/audit/exportArchive';
import { writeExport } from '../../core/audit/exportWriter';
import type { AttestationTrust } from '../../core/ingest/attestationTrust';
import { noTrust } from '../../core/ingest/attestationTrust';
import type { Database, SqlExecutor } from '../store/database';
import { openScratch } from '../store/embeddedDatabase';
import { migrate } from '../store/migrations';
import { Queries } from '../store/queries';
import { baseDigest, readBase, readCut, seedBase, type BaseRow } from './cut';
import type { CheckpointSigner } from './signer';
import { replayChain, servedTables } from './verification';

export interface RetentionOptions {
  /** Facts older than this (ms before `now`) leave the hot tables. */
  windowMs: number;
  /** Where each cut's export is written before anything is removed. */
  archiveDir: string;
  now?: Date;
  trust?: AttestationTrust;
}

export interface RetentionResult {
  /** The entry the chain now starts after; null when nothing was cut. */
  cut: number | null;
  /** The export directory of this cut. */
  exported: string | null;
  /** Rows removed per table, and events. */
  removed: Record<string, number>;
  /** Why nothing was cut. */
  reason: string | null;
}

/** Tables whose rows stand alone: removed when last written before the cut. */
const standalone: [string, string[]][] = [
  ['commits', ['repo', 'sha']],
  ['builds', ['id']],
  ['artifacts', ['digest']],
  ['attestations', ['id']],
];

export async function retain(db: Database, signer: CheckpointSigner, options: RetentionOptions): Promise<RetentionResult> {
  const nothing = (reason: string): RetentionResult => ({ cut: null, exported: null, removed: {}, reason });
  const now = options.now ?? new Date();
  const before = new Date(now.getTime() - options.windowMs).toISOString();
  const previous = await readCut(db);
  const from = (previous?.seq ?? 0) + 1;
  const target = (
    await db.query<{ seq: number | string; hash: string }>(
      `SELECT c.seq, c.hash FROM audit_checkpoints c JOIN audit_log a ON a.seq = c.seq
        WHERE a.at < $1 AND c.seq >= $2 ORDER BY c.seq DESC LIMIT 1`,
      [before, from],
    )
  ).rows[0];
  if (!target) return nothing(`nothing recorded before ${before} is left in the store`);
  const to = Number(target.seq);
  const queries = new Queries(db);
  const checkpoint = await queries.checkpoint(to);
  if (!checkpoint || checkpoint.seq !== to) return nothing(`entry ${to} has no signed checkpoint`);

  // 1. Exported and verified, or nothing is removed.
  const dir = join(options.archiveDir, `entries-${String(from).padStart(12, '0')}-${String(to).padStart(12, '0')}`);
  try {
    await writeExport({ dir, since: null, until: before, from, checkpoint, perPart: 10_000, events: (a, b) => queries.auditEvents(a, b) });
  } catch (e) {
    return nothing(`the export of entries ${from}..${to} to ${dir} failed: ${(e as Error).message}; nothing was removed`);
  }
  const check = verifyExport(dir, signer.keyId);
  if (!check.ok) return nothing(`the export in ${dir} does not verify (${check.problem}); nothing was removed`);
  if (check.from !== from || check.to !== to)
    return nothing(`the export in ${dir} holds entries ${check.from}..${check.to}, not ${from}..${to}; nothing was removed`);

  // 2. The state at the cut, replayed from the last cut's (the chain is checked on the way).
  const scratch = await openScratch();
  try {
    await migrate(scratch);
    if (previous) await seedBase(scratch, await readBase(db));
    const replayed = await replayChain(db, scratch, to, target.hash, signer, options.trust ?? noTrust, previous);
    if ('reason' in replayed)
      return nothing(`the chain does not verify at entry ${replayed.brokenAt}: ${replayed.reason}; nothing was removed`);

    // The state at the cut of every row there was then, read from the scratch store before the
    // head is held: the transaction below only takes out what it removes.
    const atCut: { table: string; key: string; json: string }[] = [];
    for (const [table, pk] of servedTables) {
      const rows = await scratch.query(`SELECT ${pk.join(', ')}, row_to_json(t)::text AS j FROM ${table} t ORDER BY ${pk.join(', ')}`);
      for (const r of rows.rows) atCut.push({ table, key: keyOf(r, pk), json: String(r.j) });
    }

    // 3. One transaction holding the head: remove, keep the base, drop the history, sign the cut.
    const removed = await db.transaction(async (tx) => {
      await tx.query('SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE');
      const { counts, gone } = await removeOlder(tx, to);
      // The kept rows' state at the cut: every row there was then, less those just removed.
      const base: BaseRow[] = atCut.filter((r) => !gone.has(`${r.table}\u0000${r.key}`)).map((r) => ({ tbl: r.table, json: r.json }));
      const digest = baseDigest(base);
      await tx.query('DELETE FROM retained_base');
      for (let i = 0; i < base.length; i++)
        await tx.query('INSERT INTO retained_base (tbl, ord, row_json) VALUES ($1, $2, $3)', [base[i]!.tbl, i, base[i]!.json]);
      counts.events = Number(
        (
          await tx.query<{ n: string | number }>(
            'WITH d AS (DELETE FROM events WHERE audit_seq <= $1 RETURNING 1) SELECT count(*) AS n FROM d',
            [to],
          )
        ).rows[0]!.n,
      );
      await tx.query('DELETE FROM audit_log WHERE seq <= $1', [to]);
      // Rows of every repository may have gone: no cached answer is current any more.
      await tx.query(
        `INSERT INTO repo_versions (repo, seq) VALUES ('*', (SELECT seq FROM audit_head WHERE id = 1) + 1)
         ON CONFLICT (repo) DO UPDATE SET seq = GREATEST(repo_versions.seq + 1, excluded.seq)`,
      );
      await tx.query('DELETE FROM audit_checkpoints WHERE seq < $1', [to]);
      await tx.query(
        `INSERT INTO audit_cut (id, seq, hash, base_digest, at, signature, key_id, public_key) VALUES (1, $1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, base_digest = excluded.base_digest, at = excluded.at,
           signature = excluded.signature, key_id = excluded.key_id, public_key = excluded.public_key`,
        [to, target.hash, digest, now.toISOString(), signer.signCut(to, target.hash, digest), signer.keyId, signer.publicKey],
      );
      return counts;
    });
    return { cut: to, exported: dir, removed, reason: null };
  } finally {
    await scratch.close();
  }
}

/**
 * Removes the rows last written at or before entry `to`, keeping each one that belongs with a row
 * written after it, so nothing served loses a part: a deployment and its approvals, a pull request
 * with its commits and reviews, a finding with its locations and sightings stay or go together.
 */
async function removeOlder(tx: SqlExecutor, to: number): Promise<{ counts: Record<string, number>; gone: Set<string> }> {
  const counts: Record<string, number> = {};
  const gone = new Set<string>();
  const keys = new Map(servedTables);
  const run = async (table: string, sql: string) => {
    const pk = keys.get(table)!;
    const r = await tx.query(`${sql} RETURNING ${pk.join(', ')}`, [to]);
    counts[table] = (counts[table] ?? 0) + r.rows.length;
    for (const row of r.rows) gone.add(`${table}\u0000${keyOf(row, pk)}`);
  };
  for (const [table] of standalone) await run(table, `DELETE FROM ${table} WHERE audit_seq <= $1`);
  await run(
    'deployments',
    `DELETE FROM deployments d WHERE d.audit_seq <= $1
       AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.deployment_id = d.id AND a.audit_seq > $1)`,
  );
  await run(
    'approvals',
    `DELETE FROM approvals a WHERE a.audit_seq <= $1
       AND (a.deployment_id IS NULL OR NOT EXISTS (SELECT 1 FROM deployments d WHERE d.id = a.deployment_id))`,
  );
  await run(
    'environments',
    `DELETE FROM environments e WHERE e.audit_seq <= $1
       AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.repo = e.repo AND d.environment = e.name)`,
  );
  await run(
    'pull_requests',
    `DELETE FROM pull_requests p WHERE p.audit_seq <= $1
       AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.repo = p.repo AND r.pull_request = p.number AND r.audit_seq > $1)
       AND NOT EXISTS (SELECT 1 FROM pr_commits c WHERE c.repo = p.repo AND c.number = p.number AND c.audit_seq > $1)`,
  );
  await run(
    'reviews',
    `DELETE FROM reviews r WHERE r.audit_seq <= $1
       AND NOT EXISTS (SELECT 1 FROM pull_requests p WHERE p.repo = r.repo AND p.number = r.pull_request)`,
  );
  await run(
    'pr_commits',
    `DELETE FROM pr_commits c WHERE c.audit_seq <= $1
       AND NOT EXISTS (SELECT 1 FROM pull_requests p WHERE p.repo = c.repo AND p.number = c.number)`,
  );
  await run(
    'findings',
    `DELETE FROM findings f WHERE f.audit_seq <= $1
       AND NOT EXISTS (SELECT 1 FROM finding_locations l WHERE l.finding_id = f.id AND l.audit_seq > $1)
       AND NOT EXISTS (SELECT 1 FROM finding_occurrences o WHERE o.finding_id = f.id AND o.audit_seq > $1)`,
  );
  for (const table of ['finding_locations', 'finding_occurrences'])
    await run(table, `DELETE FROM ${table} x WHERE x.audit_seq <= $1 AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.id = x.finding_id)`);
  return { counts, gone };
}

function keyOf(row: Record<string, unknown>, pk: string[]): string {
  return pk.map((c) => String(row[c])).join('\u0000');
}
