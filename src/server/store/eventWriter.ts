/**
 * The single path by which events reach the store. Requests queue here and are committed together
 * (group commit): one transaction takes every waiting batch, so throughput grows with concurrency
 * while each request is still acknowledged only after its events are durably committed. If a
 * combined transaction fails, each batch is retried alone, so one bad batch cannot sink another.
 *
 * Every newly stored event is appended to the hash-chained audit log in the same transaction
 * (core/audit/chain), and the new head is signed as a checkpoint in that transaction too, so no
 * committed entry is ever without a signed checkpoint at or after it. The chain head row is locked
 * for the transaction, which also serialises writers from several services on one PostgreSQL.
 */
import type { Fact, NormalizedEvent } from '../../core/ingest/facts';
import { chainHash } from '../../core/audit/chain';
import { sha256Hex } from '../../core/ingest/values';
import type { CheckpointSigner } from '../audit/signer';
import type { Database, SqlExecutor } from './database';
import { insertValues, maxParams, valuesList, writeFacts } from './factWriter';
import { storedFormOf } from './storedRaw';

export interface WrittenEvent {
  key: string;
  format: string;
  status: 'stored' | 'duplicate';
}

/** Where ingest hands its events: this writer, or the intake journal in front of it. */
export interface EventSink {
  /** Resolves once the events are durable, with whether each was new or already stored. */
  write(events: NormalizedEvent[]): Promise<WrittenEvent[]>;
  /** Resolves once every write acknowledged before the call can be read from the store. */
  caughtUp(): Promise<void>;
}

/**
 * Takes from the front of `queue` the entries whose events fit in one commit of at most
 * `maxEvents` (always at least one entry, however large). Before taking, one turn of the event
 * loop lets the requests read in the same turn join the queue and share the commit.
 */
export async function takeBatch<T extends { events: unknown[] }>(queue: T[], maxEvents: number): Promise<T[]> {
  await new Promise((resolve) => setImmediate(resolve));
  const batch: T[] = [];
  let size = 0;
  while (queue.length > 0 && (batch.length === 0 || size + queue[0]!.events.length <= maxEvents)) {
    const next = queue.shift()!;
    batch.push(next);
    size += next.events.length;
  }
  return batch;
}

interface Job {
  events: NormalizedEvent[];
  resolve: (result: WrittenEvent[]) => void;
  reject: (error: unknown) => void;
}

export class EventWriter implements EventSink {
  private readonly queue: Job[] = [];
  private draining = false;
  /** Bumped on every commit that stored something; part of the data version clients cache on. */
  private commits = 0;

  constructor(
    private readonly db: Database,
    private readonly signer: CheckpointSigner,
    private readonly maxEventsPerCommit = 10_000,
    private readonly onCommit: (storedEvents: number) => void = () => undefined,
  ) {}

  write(events: NormalizedEvent[]): Promise<WrittenEvent[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      void this.drain();
    });
  }

  /** A write here is in the store when it is acknowledged. */
  caughtUp(): Promise<void> {
    return Promise.resolve();
  }

  get commitCount(): number {
    return this.commits;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) await this.commitJobs(await takeBatch(this.queue, this.maxEventsPerCommit));
    } finally {
      this.draining = false;
    }
  }

  private async commitJobs(jobs: Job[]): Promise<void> {
    try {
      const results = await this.db.transaction((tx) =>
        this.apply(
          tx,
          jobs.map((j) => j.events),
        ),
      );
      this.afterCommit(results);
      jobs.forEach((job, i) => job.resolve(results[i]!));
    } catch (error) {
      if (jobs.length === 1) {
        jobs[0]!.reject(error);
        return;
      }
      for (const job of jobs) {
        try {
          const [result] = await this.db.transaction((tx) => this.apply(tx, [job.events]));
          this.afterCommit([result!]);
          job.resolve(result!);
        } catch (jobError) {
          job.reject(jobError);
        }
      }
    }
  }

  private afterCommit(results: WrittenEvent[][]): void {
    if (results.some((r) => r.some((e) => e.status === 'stored'))) {
      this.commits++;
      this.onCommit(this.stored);
    }
  }

  /** How many events the store holds, as of the last commit this writer made. */
  private stored = 0;

  private async apply(tx: SqlExecutor, batches: NormalizedEvent[][]): Promise<WrittenEvent[][]> {
    const head = await tx.query<{ seq: number | string; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE');
    let seq = Number(head.rows[0]!.seq);
    let prev = head.rows[0]!.hash;
    const allKeys = [...new Set(batches.flat().map((e) => e.key))];
    const existing = await tx.query<{ key: string }>('SELECT key FROM events WHERE key = ANY($1::text[])', [allKeys]);
    const seen = new Set(existing.rows.map((r) => r.key));
    const now = new Date().toISOString();
    const eventRows: unknown[][] = [];
    const auditRows: unknown[][] = [];
    const facts: { fact: Fact; eventKey: string }[] = [];

    const results = batches.map((events) =>
      events.map((event): WrittenEvent => {
        if (seen.has(event.key)) return { key: event.key, format: event.format, status: 'duplicate' };
        seen.add(event.key);
        seq += 1;
        const eventHash = event.rawSha256 ?? sha256Hex(event.raw);
        const hash = chainHash(prev, seq, event.key, eventHash);
        eventRows.push([event.key, event.format, now, seq, ...storedFormOf(event)]);
        auditRows.push([seq, event.key, eventHash, prev, hash, now]);
        prev = hash;
        for (const fact of event.facts) facts.push({ fact, eventKey: event.key });
        return { key: event.key, format: event.format, status: 'stored' };
      }),
    );

    if (eventRows.length > 0) {
      await writeChain(tx, eventRows, auditRows, [seq, prev, now, this.signer.sign(seq, prev), this.signer.keyId, this.signer.publicKey]);
      await writeFacts(tx, facts, seq, { refuseForeignIds: true });
    }
    this.stored = seq;
    return results;
  }
}

const eventCols = ['key', 'format', 'received_at', 'audit_seq', 'raw', 'raw_z'];
const entryCols = ['seq', 'event_key', 'event_hash', 'prev_hash', 'hash', 'at'];

/**
 * A commit's events, their chain entries, the new head and its signed checkpoint. Every writer
 * holds the head row from its first statement to its commit, so each round trip in between is
 * time no other writer (another replica, on a shared database) can chain: in one statement when
 * the parameters allow, as four otherwise. `checkpoint` is (seq, hash, at, signature, key id,
 * public key).
 */
async function writeChain(tx: SqlExecutor, eventRows: unknown[][], auditRows: unknown[][], checkpoint: unknown[]): Promise<void> {
  if (eventRows.length * eventCols.length + auditRows.length * entryCols.length + checkpoint.length > maxParams) {
    await insertValues(tx, 'events', eventCols, eventRows, '');
    await insertValues(tx, 'audit_log', entryCols, auditRows, '');
    await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', checkpoint.slice(0, 2));
    await tx.query(
      'INSERT INTO audit_checkpoints (seq, hash, at, signature, key_id, public_key) VALUES ($1, $2, $3, $4, $5, $6)',
      checkpoint,
    );
    return;
  }
  const params: unknown[] = [];
  const events = valuesList(eventRows, params);
  const entries = valuesList(auditRows, params);
  const head = params.length + 1;
  const signed = valuesList([checkpoint], params);
  await tx.query(
    `WITH e AS (INSERT INTO events (${eventCols.join(', ')}) VALUES ${events}),
          l AS (INSERT INTO audit_log (${entryCols.join(', ')}) VALUES ${entries}),
          h AS (UPDATE audit_head SET seq = $${head}, hash = $${head + 1} WHERE id = 1)
     INSERT INTO audit_checkpoints (seq, hash, at, signature, key_id, public_key) VALUES ${signed}`,
    params,
  );
}
