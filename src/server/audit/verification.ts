/**
 * Verification of everything the service answers, not only the raw events: the chain is
 * recomputed from the stored events, every stored checkpoint must match its entry and carry this
 * service's signature (and the head must have one), and every served row is derived again by
 * replaying the events through the same normalisers and writer into a scratch store, then compared
 * column by column. An edited deployment, review or finding row, a forged row, a deleted one, a
 * rewritten history or a recomputed chain each name the first broken entry and what differs.
 *
 * It runs against a snapshot sequence number taken at the start, reading in pages, so ingest goes
 * on meanwhile: rows that events after the snapshot have touched (their audit_seq is newer) are
 * left for the next run.
 */
import { verify as verifySignature, createPublicKey } from 'node:crypto';
import { chainHash, checkpointMessage, genesisHash, sha256Text } from '../../core/audit/chain';
import { rederive } from '../../core/audit/rederive';
import { noTrust, type AttestationTrust } from '../../core/ingest/attestationTrust';
import type { Fact } from '../../core/ingest/facts';
import type { AuditVerification } from '../../core/model/api';
import type { CheckpointSigner } from './signer';
import type { Database } from '../store/database';
import { openScratch } from '../store/embeddedDatabase';
import { writeFacts } from '../store/factWriter';
import { storedText } from '../store/storedRaw';
import { migrate } from '../store/migrations';
import { cutProblem, readBase, readCut, seedBase } from './cut';

/** Every table the API serves from, with its primary key. */
export const servedTables: [string, string[]][] = [
  ['commits', ['repo', 'sha']],
  ['pull_requests', ['repo', 'number']],
  ['pr_commits', ['repo', 'sha', 'number']],
  ['reviews', ['repo', 'id']],
  ['builds', ['id']],
  ['artifacts', ['digest']],
  ['attestations', ['id']],
  ['deployments', ['id']],
  ['environments', ['repo', 'name']],
  ['approvals', ['id']],
  ['findings', ['id']],
  ['finding_locations', ['finding_id', 'ord']],
  ['finding_occurrences', ['finding_id', 'occurrence']],
];

export interface Difference {
  table: string;
  key: string;
  /** What differs: a column with both values, or that the row is forged or missing. */
  what: string;
  eventKey: string | null;
}

const pageSize = 500;

/**
 * The embedded store, and the scratch store the rows are re-derived in, run on this thread, and
 * their statements resolve without giving sockets a turn: a verification that only awaited them
 * would hold ingest off until it ended. So after each page it rests as long as the page took,
 * leaving at least half of the thread to requests.
 */
let pageStarted = performance.now();
const yieldToIo = async () => {
  const busy = performance.now() - pageStarted;
  await new Promise<void>((resolve) => (busy > 1 ? setTimeout(resolve, Math.min(busy, 200)) : setImmediate(resolve)));
  pageStarted = performance.now();
};
const maxDifferences = 20;

type Broken = { brokenAt: number; reason: string };

export async function verifyStore(db: Database, signer: CheckpointSigner, trust: AttestationTrust = noTrust): Promise<AuditVerification> {
  const headRow = (await db.query<{ seq: number | string; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1')).rows[0]!;
  const snapshot = Number(headRow.seq);
  const scratch = await openScratch();
  try {
    await migrate(scratch);
    // After a retention cut the chain starts there, on top of the kept rows' state at the cut.
    const cut = await readCut(db);
    if (cut) {
      const base = await readBase(db);
      const problem = cutProblem(cut, base, signer);
      if (problem) {
        return { ok: false, entries: 0, head: cut.hash, brokenAt: cut.seq, reason: problem, checkpoint: null, differences: [] };
      }
      await seedBase(scratch, base);
    }
    const chain = await replayChain(db, scratch, snapshot, headRow.hash, signer, trust, cut);
    const latest = await latestCheckpoint(db, snapshot);
    if ('reason' in chain)
      return {
        ok: false,
        entries: chain.entries,
        head: chain.head,
        brokenAt: chain.brokenAt,
        reason: chain.reason,
        checkpoint: latest,
        differences: [],
      };
    const differences = await compareTables(db, scratch, snapshot);
    if (differences.length > 0) {
      const first = await firstEntryOf(db, differences);
      const d = differences[0]!;
      return {
        ok: false,
        entries: chain.entries,
        head: chain.head,
        brokenAt: first,
        reason: `${d.table} ${d.key}: ${d.what}`,
        checkpoint: latest,
        differences,
      };
    }
    return { ok: true, entries: chain.entries, head: chain.head, brokenAt: null, reason: null, checkpoint: latest, differences: [] };
  } finally {
    await scratch.close();
  }
}

async function latestCheckpoint(db: Database, upTo: number): Promise<AuditVerification['checkpoint']> {
  const r = (
    await db.query('SELECT seq, hash, at, signature, key_id, public_key FROM audit_checkpoints WHERE seq <= $1 ORDER BY seq DESC LIMIT 1', [
      upTo,
    ])
  ).rows[0];
  return r
    ? {
        seq: Number(r.seq),
        hash: String(r.hash),
        at: new Date(r.at as string).toISOString(),
        signature: String(r.signature),
        keyId: String(r.key_id),
        publicKey: String(r.public_key),
      }
    : null;
}

/**
 * Recomputes the chain up to `snapshot` (from the retention cut when there is one, else from the
 * genesis), checks the checkpoints, and replays each page into `scratch`.
 */
export async function replayChain(
  db: Database,
  scratch: Database,
  snapshot: number,
  headHash: string,
  signer: CheckpointSigner,
  trust: AttestationTrust,
  cut: { seq: number; hash: string } | null = null,
): Promise<{ entries: number; head: string } | (Broken & { entries: number; head: string })> {
  const key = createPublicKey({ key: Buffer.from(signer.publicKey, 'base64'), format: 'der', type: 'spki' });
  let prev = cut?.hash ?? genesisHash;
  let entries = 0;
  let lastCheckpoint = cut?.seq ?? 0;
  const broken = (brokenAt: number, reason: string) => ({ entries, head: prev, brokenAt, reason });
  for (let from = (cut?.seq ?? 0) + 1; from <= snapshot; from += pageSize) {
    await yieldToIo();
    const to = Math.min(snapshot, from + pageSize - 1);
    const page = await db.query<{
      seq: string | number;
      event_key: string;
      event_hash: string;
      prev_hash: string;
      hash: string;
      raw: string | null;
      raw_z: Uint8Array | null;
      format: string | null;
      audit_seq: string | number | null;
    }>(
      `SELECT a.seq, a.event_key, a.event_hash, a.prev_hash, a.hash, e.raw, e.raw_z, e.format, e.audit_seq
       FROM audit_log a LEFT JOIN events e ON e.key = a.event_key
       WHERE a.seq BETWEEN $1 AND $2 ORDER BY a.seq`,
      [from, to],
    );
    const checkpoints = await db.query(
      'SELECT seq, hash, signature, key_id FROM audit_checkpoints WHERE seq BETWEEN $1 AND $2 ORDER BY seq',
      [from, to],
    );
    const hashes = new Map<number, string>();
    const facts: { fact: Fact; eventKey: string }[] = [];
    let expected = from;
    for (const r of page.rows) {
      const seq = Number(r.seq);
      if (seq !== expected) return broken(expected, 'entry missing');
      if ((r.raw === null && r.raw_z === null) || Number(r.audit_seq) !== seq) return broken(seq, 'the event this entry covers is missing');
      const raw = storedText(r);
      if (raw === null || sha256Text(raw) !== r.event_hash) return broken(seq, 'the stored event no longer matches its hash');
      if (r.prev_hash !== prev) return broken(seq, 'previous-hash link does not match');
      if (chainHash(prev, seq, r.event_key, r.event_hash) !== r.hash) return broken(seq, 'entry hash does not match');
      let derived;
      try {
        derived = rederive(r.format ?? '', raw, trust);
      } catch (e) {
        return broken(seq, `the stored event does not re-derive: ${(e as Error).message}`);
      }
      if (derived.key !== r.event_key) return broken(seq, `the stored event is keyed ${r.event_key}, its content says ${derived.key}`);
      for (const fact of derived.facts) facts.push({ fact, eventKey: derived.key });
      prev = r.hash;
      hashes.set(seq, prev);
      expected++;
      entries++;
    }
    if (expected !== to + 1) return broken(expected, 'entry missing');
    for (const c of checkpoints.rows) {
      const seq = Number(c.seq);
      if (hashes.get(seq) !== c.hash) return broken(seq, `signed checkpoint ${seq} does not match the chain: the history was rewritten`);
      if (c.key_id !== signer.keyId)
        return broken(seq, `checkpoint ${seq} was signed by key ${String(c.key_id)}, not this service's key ${signer.keyId}`);
      if (!verifySignature(null, checkpointMessage(seq, String(c.hash)), key, Buffer.from(String(c.signature), 'base64'))) {
        return broken(seq, `the signature on checkpoint ${seq} does not verify`);
      }
      lastCheckpoint = seq;
    }
    // Replayed in chain order, one transaction a page, with the live writer's own merge rules.
    if (facts.length > 0) await scratch.transaction((tx) => writeFacts(tx, facts, to));
  }
  // The head row starts as the genesis and, after a cut with nothing since, is the cut's hash.
  if (prev !== headHash) return broken(snapshot, 'the chain head does not match the last entry');
  if (snapshot > 0 && lastCheckpoint !== snapshot) {
    return broken(
      lastCheckpoint + 1,
      `entries ${lastCheckpoint + 1} to ${snapshot} have no signed checkpoint: checkpoints were deleted or the entries were added outside the service`,
    );
  }
  return { entries, head: prev };
}

/** A row as comparable text: the store's own JSON, times in one form, the bookkeeping column left out. */
function canonical(json: string): string {
  const row = JSON.parse(json) as Record<string, unknown>;
  // Bookkeeping, not what is served: which entry last wrote the row, and which fact each value
  // came from (a store kept from before ranks has none, and its values are still checked).
  delete row.audit_seq;
  delete row.ranks;
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d(:\d\d)?|Z)$/.test(v)) row[k] = new Date(v).toISOString();
  }
  return JSON.stringify(row);
}

async function* rows(
  db: Database,
  table: string,
  pk: string[],
): AsyncGenerator<{ key: string; json: string; auditSeq: number; eventKey: string | null }> {
  let after: unknown[] | null = null;
  for (;;) {
    await yieldToIo();
    const where: string = after ? `WHERE (${pk.join(', ')}) > (${pk.map((_, i) => `$${i + 1}`).join(', ')})` : '';
    const page: { rows: Record<string, unknown>[] } = await db.query(
      `SELECT ${pk.join(', ')}, audit_seq, row_to_json(t)::text AS j FROM ${table} t ${where} ORDER BY ${pk.join(', ')} LIMIT ${pageSize}`,
      after ?? [],
    );
    for (const r of page.rows) {
      const parsed = JSON.parse(String(r.j)) as Record<string, unknown>;
      yield {
        key: pk.map((c) => String(r[c])).join(' '),
        json: String(r.j),
        auditSeq: Number(r.audit_seq),
        eventKey: typeof parsed.event_key === 'string' ? parsed.event_key : null,
      };
    }
    if (page.rows.length < pageSize) return;
    const last: Record<string, unknown> = page.rows[page.rows.length - 1]!;
    after = pk.map((c) => last[c]);
  }
}

function describeDifference(stored: string, derived: string): string {
  const a = JSON.parse(stored) as Record<string, unknown>;
  const b = JSON.parse(derived) as Record<string, unknown>;
  const cols = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((c) => JSON.stringify(a[c]) !== JSON.stringify(b[c]));
  const show = (v: unknown) => ((JSON.stringify(v) as string | undefined) ?? 'null').slice(0, 120);
  const differs = cols.map((c) => `${c} is ${show(a[c])}, the events say ${show(b[c])}`).join('; ');
  // A signature verdict reached under other trust than the service has now cannot be vouched for.
  if (cols.includes('signature_trust'))
    return `its signature was judged under trust ${show(a.signature_trust)}, and this service now has ${b.signature_trust ? `trust ${show(b.signature_trust)}` : 'no trusted root or key'} (start it with the --trusted-root and --trusted-key it had): ${differs}`;
  return differs;
}

async function compareTables(db: Database, scratch: Database, snapshot: number): Promise<Difference[]> {
  const differences: Difference[] = [];
  const currentHead = async () =>
    Number((await db.query<{ seq: number | string }>('SELECT seq FROM audit_head WHERE id = 1')).rows[0]!.seq);
  for (const [table, pk] of servedTables) {
    const derived = new Map<string, { json: string; eventKey: string | null }>();
    for await (const r of rows(scratch, table, pk)) derived.set(r.key, { json: canonical(r.json), eventKey: r.eventKey });
    let head = snapshot;
    for await (const r of rows(db, table, pk)) {
      const expected = derived.get(r.key);
      derived.delete(r.key);
      if (r.auditSeq > snapshot) {
        // Written after the snapshot: legitimately different, unless it claims an entry that does not exist.
        if (r.auditSeq > head) head = await currentHead();
        if (r.auditSeq > head)
          differences.push({
            table,
            key: r.key,
            what: `the row claims audit entry ${r.auditSeq}, beyond the head ${head}`,
            eventKey: r.eventKey,
          });
        continue;
      }
      if (!expected)
        differences.push({
          table,
          key: r.key,
          what: 'no stored event yields this row: it was added to the store directly',
          eventKey: r.eventKey,
        });
      else {
        const stored = canonical(r.json);
        if (stored !== expected.json)
          differences.push({ table, key: r.key, what: describeDifference(stored, expected.json), eventKey: expected.eventKey });
      }
      if (differences.length >= maxDifferences) return differences;
    }
    for (const [key, d] of derived) {
      differences.push({ table, key, what: 'the events yield this row, but the store no longer has it', eventKey: d.eventKey });
      if (differences.length >= maxDifferences) return differences;
    }
  }
  return differences;
}

/** The audit entry of the earliest event behind a difference (the first place to look). */
async function firstEntryOf(db: Database, differences: Difference[]): Promise<number | null> {
  const keys = [...new Set(differences.map((d) => d.eventKey).filter((k): k is string => k !== null))];
  if (keys.length === 0) return null;
  const r = await db.query<{ seq: number | string | null }>('SELECT min(audit_seq) AS seq FROM events WHERE key = ANY($1::text[])', [keys]);
  const seq = r.rows[0]?.seq;
  return seq === null || seq === undefined ? null : Number(seq);
}
