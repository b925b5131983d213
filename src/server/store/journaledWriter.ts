/**
 * The embedded store's way in. A delivery whose event keys are all certainly new is written to
 * the intake journal, forced to disk, and acknowledged as stored; the events reach the store
 * (audit chain, facts, deployments) a moment later, in large transactions on the store's thread.
 * A commit costs the same few milliseconds whether it holds 16 events or 1,000, so batching them
 * after the acknowledgement is what lets one delivery per request be taken at disk speed.
 *
 * What a client sees stays exact:
 * - "stored" is said only of events that were not in the store and are now on disk; an event that
 *   may be there already (the key filter says maybe, or it is still on its way in) takes the slow
 *   path: it waits until the store has everything before it, and the store answers.
 * - Every read waits on `caughtUp()`, so what was acknowledged before a query is in its answer.
 * - After a crash, the journal's records are put into the store before the service listens.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NormalizedEvent } from '../../core/ingest/facts';
import type { Database } from './database';
import { type EventSink, type EventWriter, takeBatch, type WrittenEvent } from './eventWriter';
import { type OwnedClaim, OwnershipConflict, ownedClaim, ownedTables } from './factWriter';
import { IntakeJournal, type RecordTexts } from './intakeJournal';
import { KeyFilter } from './keyFilter';
import { compressAhead, compressedAhead } from './storedRaw';

/** Events per store transaction: larger commits pay less per event but keep readers waiting longer. */
const eventsPerCommit = 1_000;
/** Acknowledged events not yet in the store, at most; past it, new deliveries wait (bounded memory). */
const maxBacklog = 10_000;
const retryDelaysMs = [250, 1_000, 4_000];
/** Keys or ids read a page at a time at start: a few MB of text each. */
const defaultLearnPage = 50_000;

interface Pending {
  events: NormalizedEvent[];
  segment: number;
  done: () => void;
}

export class JournaledWriter implements EventSink {
  private readonly filter = new KeyFilter();
  /**
   * Which rows with sender-chosen ids may exist (`<table>\u0000<id>`), and under which repository
   * (`…\u0000<repo>`): a delivery whose ids are certainly new, or certainly its own repository's,
   * cannot take another repository's row and is acknowledged at once; any other goes the exact way,
   * where the store refuses a foreign id with a 409.
   */
  private readonly ids = new KeyFilter();
  private readonly owners = new KeyFilter();
  /** Ids claimed by acknowledged events not yet in the store: their repository, and how many claim it. */
  private readonly claimed = new Map<string, { repo: string; count: number }>();
  /** Keys acknowledged and not yet in the store. */
  private readonly onTheWay = new Set<string>();
  private readonly queue: Pending[] = [];
  private backlog = 0;
  private projecting = false;
  /** Settles once every record accepted so far is in the store (records go in in order). */
  private tail: Promise<void> = Promise.resolve();
  private readonly roomWaiters: (() => void)[] = [];

  private constructor(
    private readonly store: EventWriter,
    private readonly journal: IntakeJournal<NormalizedEvent[]>,
    private readonly dir: string,
    private readonly log: (message: string) => void,
    private readonly learnPage: number,
  ) {}

  /**
   * Opens the journal in `dir`, learns the store's keys, and puts any records left from before a
   * crash into the store before returning. `learnPage`: keys and ids read a page at a time.
   */
  static async open(
    store: EventWriter,
    db: Database,
    dir: string,
    key: Buffer,
    log: (message: string) => void,
    learnPage = defaultLearnPage,
  ): Promise<JournaledWriter> {
    const { journal, leftover } = await IntakeJournal.open(dir, key, log, eventTexts);
    const writer = new JournaledWriter(store, journal, dir, log, learnPage);
    // Together: the store's thread reads one's next page while this thread takes in the other's.
    await Promise.all([writer.learnKeys(db), writer.learnOwners(db)]);
    if (leftover.length > 0) {
      const events = leftover.reduce((n, r) => n + r.value.length, 0);
      writer.backlog += events;
      await Promise.all(leftover.map((record) => writer.enqueue(record.value, record.segment)));
      log(`lineage serve: put ${events} acknowledged event(s) from the intake journal into the store`);
    }
    return writer;
  }

  async write(events: NormalizedEvent[]): Promise<WrittenEvent[]> {
    // Room first: from the check that the keys are new to their claim below nothing may wait, or a
    // copy of this delivery could pass the same check meanwhile and both be answered "stored".
    while (this.backlog >= maxBacklog) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    const keys = events.map((e) => e.key);
    const certainlyNew = new Set(keys).size === keys.length && keys.every((k) => !this.onTheWay.has(k) && !this.filter.mayHave(k));
    const claims = claimsOf(events);
    if (!certainlyNew || !this.certainlyOwn(claims)) {
      await this.caughtUp();
      const written = await this.store.write(events);
      for (const key of keys) this.filter.add(key);
      for (const c of claims) this.learnOwner(c.key, c.repo);
      return written;
    }
    // Compressed once, for the journal and the store alike: the store's thread, the busier one under
    // a stream, takes the texts compressed, and the texts themselves are not held until it has them.
    const forStore = events.map(compressAhead);
    // Claimed before the disk write, so that a second delivery of the same key meanwhile waits for
    // this one and is answered "duplicate".
    for (const key of keys) {
      this.onTheWay.add(key);
      this.filter.add(key);
    }
    for (const c of claims) {
      this.learnOwner(c.key, c.repo);
      const pending = this.claimed.get(c.key);
      this.claimed.set(c.key, { repo: c.repo, count: (pending?.count ?? 0) + 1 });
    }
    this.backlog += events.length;
    let accepted!: (segment: number | null) => void;
    const segment = new Promise<number | null>((resolve) => (accepted = resolve));
    const queued = segment.then((s) => (s === null ? undefined : this.enqueue(forStore, s)));
    this.tail = Promise.all([this.tail, queued]).then(() => undefined);
    try {
      accepted(await this.journal.append(forStore));
    } catch (e) {
      accepted(null);
      for (const key of keys) this.onTheWay.delete(key);
      this.unclaim(events);
      this.release(events.length);
      throw e;
    }
    return events.map((e) => ({ key: e.key, format: e.format, status: 'stored' }));
  }

  caughtUp(): Promise<void> {
    return this.tail;
  }

  /** Waits until the store has every acknowledged event, then closes the journal. */
  async close(): Promise<void> {
    await this.caughtUp();
    await this.journal.close();
  }

  /** Queues a record for the store; resolves once it is there. */
  private enqueue(events: NormalizedEvent[], segment: number): Promise<void> {
    return new Promise<void>((done) => {
      this.queue.push({ events, segment, done });
      void this.project();
    });
  }

  private async project(): Promise<void> {
    if (this.projecting) return;
    this.projecting = true;
    try {
      while (this.queue.length > 0) {
        const batch = await takeBatch(this.queue, eventsPerCommit);
        await this.storeBatch(batch);
        for (const record of batch) {
          for (const event of record.events) this.onTheWay.delete(event.key);
          this.unclaim(record.events);
          this.journal.release(record.segment);
          this.release(record.events.length);
          record.done();
        }
      }
    } finally {
      this.projecting = false;
    }
  }

  /**
   * Puts a batch into the store, retrying a failure (a full disk, a store restart) a few times.
   * What still fails is tried record by record; a record the store refuses is kept in
   * intake-rejected.jsonl with the reason and logged, never dropped in silence.
   */
  private async storeBatch(batch: Pending[]): Promise<void> {
    let failure: unknown;
    for (const delay of [0, ...retryDelaysMs]) {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        await this.store.write(batch.flatMap((r) => r.events));
        return;
      } catch (e) {
        failure = e;
        // Another repository's id stays so however often it is tried: straight to record by record.
        if (OwnershipConflict.is(e)) break;
      }
    }
    this.log(`lineage serve: the store refused ${batch.length} journal record(s) (${(failure as Error).message}); trying each alone`);
    for (const record of batch) {
      try {
        await this.store.write(record.events);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        appendFileSync(
          join(this.dir, 'intake-rejected.jsonl'),
          `${JSON.stringify({ at: new Date().toISOString(), reason, events: record.events })}\n`,
        );
        this.log(
          `lineage serve: kept ${record.events.map((ev) => ev.key).join(', ')} in ${join(this.dir, 'intake-rejected.jsonl')}: the store refused it (${reason})`,
        );
      }
    }
  }

  /** True when no claim can take another repository's row: each id is new, or already this repository's. */
  private certainlyOwn(claims: OwnedClaim[]): boolean {
    const here = new Map<string, string>();
    for (const c of claims) {
      if ((here.get(c.key) ?? c.repo) !== c.repo) return false;
      here.set(c.key, c.repo);
      const pending = this.claimed.get(c.key);
      if (pending) {
        if (pending.repo !== c.repo) return false;
        continue;
      }
      if (this.ids.mayHave(c.key) && !this.owners.mayHave(`${c.key}\u0000${c.repo}`)) return false;
    }
    return true;
  }

  private learnOwner(key: string, repo: string): void {
    this.ids.add(key);
    this.owners.add(`${key}\u0000${repo}`);
  }

  private unclaim(events: NormalizedEvent[]): void {
    for (const c of claimsOf(events)) {
      const pending = this.claimed.get(c.key);
      if (pending && --pending.count <= 0) this.claimed.delete(c.key);
    }
  }

  private release(events: number): void {
    this.backlog -= events;
    while (this.backlog < maxBacklog && this.roomWaiters.length > 0) this.roomWaiters.shift()!();
  }

  /**
   * Every row with a sender-chosen id, with its repository, a page at a time along its id. Each
   * page comes as one JSON text rather than as rows: at a million events the rows took the store's
   * thread most of the service's start (decoding each value, handing each row over).
   */
  private async learnOwners(db: Database): Promise<void> {
    for (const [table, id] of ownedTables()) {
      let after = '';
      for (;;) {
        const page = await db.query<{ page: string | null }>(
          `SELECT json_agg(json_build_array(t.id, t.repo) ORDER BY t.id)::text AS page
             FROM (SELECT ${id} AS id, repo FROM ${table} WHERE repo IS NOT NULL AND ${id} > $1 ORDER BY ${id} LIMIT ${this.learnPage}) t`,
          [after],
        );
        const rows = JSON.parse(page.rows[0]?.page ?? '[]') as [string, string][];
        for (const [rowId, repo] of rows) this.learnOwner(`${table}\u0000${rowId}`, repo);
        if (rows.length < this.learnPage) break;
        after = rows.at(-1)![0];
      }
    }
  }

  /** Every key the store holds, into the filter, a page at a time along the audit log's key, each page one JSON text. */
  private async learnKeys(db: Database): Promise<void> {
    let after = 0;
    for (;;) {
      const page = await db.query<{ keys: string | null; last: number | string | null }>(
        `SELECT json_agg(t.event_key ORDER BY t.seq)::text AS keys, max(t.seq) AS last
           FROM (SELECT event_key, seq FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT ${this.learnPage}) t`,
        [after],
      );
      const keys = JSON.parse(page.rows[0]?.keys ?? '[]') as string[];
      for (const key of keys) this.filter.add(key);
      if (keys.length < this.learnPage) return;
      after = Number(page.rows[0]!.last);
    }
  }
}

/**
 * A journal record of events: each event's delivery text written as its own bytes (as compressed
 * for the store, where it was), the rest as JSON. The head is copied without reading `raw`, which
 * for an event compressed ahead would inflate the text.
 */
export const eventTexts: RecordTexts<NormalizedEvent[]> = {
  split: (events) => ({
    head: events.map((e) =>
      Object.fromEntries(
        Object.keys(e)
          .filter((k) => k !== 'raw')
          .map((k) => [k, e[k as keyof NormalizedEvent]]),
      ),
    ),
    texts: events.map((e) => {
      const deflated = compressedAhead(e);
      return deflated ? { deflated } : e.raw;
    }),
  }),
  join: (head, texts) => {
    if (!Array.isArray(head) || head.length !== texts.length) throw new Error('one text an event');
    return head.map((event: Omit<NormalizedEvent, 'raw'>, i) => ({ ...event, raw: texts[i]! }));
  },
};

function claimsOf(events: NormalizedEvent[]): OwnedClaim[] {
  return events.flatMap((e) => e.facts.map(ownedClaim).filter((c) => c !== null));
}
