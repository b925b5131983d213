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
import { writeFacts } from './factWriter';
import { binaryByteaArray } from './binaryArray';
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
    const chain: ChainRows = { key: [], format: [], seq: [], raw: [], rawZ: [], eventHash: [], prevHash: [], hash: [] };
    const facts: { fact: Fact; eventKey: string }[] = [];

    const results = batches.map((events) =>
      events.map((event): WrittenEvent => {
        if (seen.has(event.key)) return { key: event.key, format: event.format, status: 'duplicate' };
        seen.add(event.key);
        seq += 1;
        const eventHash = event.rawSha256 ?? sha256Hex(event.raw);
        const hash = chainHash(prev, seq, event.key, eventHash);
        const [raw, z] = storedFormOf(event);
        chain.key.push(event.key);
        chain.format.push(event.format);
        chain.seq.push(seq);
        chain.raw.push(raw);
        chain.rawZ.push(z);
        chain.eventHash.push(eventHash);
        chain.prevHash.push(prev);
        chain.hash.push(hash);
        prev = hash;
        for (const fact of event.facts) facts.push({ fact, eventKey: event.key });
        return { key: event.key, format: event.format, status: 'stored' };
      }),
    );

    if (chain.key.length > 0) {
      await tx.query(
        chainStatement,
        // prettier-ignore
        [chain.key, chain.format, chain.seq, chain.raw, this.db.kind === 'postgres' ? binaryByteaArray(chain.rawZ) : chain.rawZ,
          chain.eventHash, chain.prevHash, chain.hash,
          seq, prev, now, this.signer.sign(seq, prev), this.signer.keyId, this.signer.publicKey],
        { prepared: true },
      );
      await writeFacts(tx, facts, seq, { refuseForeignIds: true });
    }
    this.stored = seq;
    return results;
  }
}

/** A commit's events and their chain entries, a column each, in chainStatement's order. */
interface ChainRows {
  key: string[];
  format: string[];
  seq: number[];
  raw: (string | null)[];
  rawZ: (Buffer | null)[];
  eventHash: string[];
  prevHash: string[];
  hash: string[];
}

/**
 * A commit's events, their chain entries, the new head and its signed checkpoint, in one
 * statement: every writer holds the head row from its first statement to its commit, so each round
 * trip in between is time no other writer (another replica, on a shared database) can chain. Each
 * column travels as one array (the deflated texts as a bytea[], to PostgreSQL in its binary form:
 * `binaryByteaArray`), so the text is the same for every commit,
 * kept parsed and planned; as a VALUES list it was a new text for each commit's size, and
 * PostgreSQL spent most of its time binding and planning it. Then $9–$14: the checkpoint's seq,
 * hash, time (the events' too), signature, key id and public key.
 */
const chainStatement = `WITH x AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bytea[], $6::text[], $7::text[], $8::text[])
      AS x(key, format, seq, raw, raw_z, event_hash, prev_hash, hash)),
  e AS (INSERT INTO events (key, format, received_at, audit_seq, raw, raw_z) SELECT key, format, $11::timestamptz, seq, raw, raw_z FROM x),
  l AS (INSERT INTO audit_log (seq, event_key, event_hash, prev_hash, hash, at)
        SELECT seq, key, event_hash, prev_hash, hash, $11::timestamptz FROM x),
  h AS (UPDATE audit_head SET seq = $9::bigint, hash = $10::text WHERE id = 1)
INSERT INTO audit_checkpoints (seq, hash, at, signature, key_id, public_key)
VALUES ($9::bigint, $10::text, $11::timestamptz, $12::text, $13::text, $14::text)`;
