/**
 * The embedded store on a thread of its own. PGlite runs PostgreSQL as WebAssembly, and each
 * statement blocks the thread it runs on until it ends; on the service's thread that stalled every
 * request (reads, health checks, other deliveries) for as long as a commit took, and left the
 * machine's second core idle. Here PGlite lives in a worker: the service's thread parses, checks and
 * answers requests while the worker commits the previous batch, and a slow query never freezes the
 * HTTP server.
 *
 * The worker's code is a short script run with `eval`, not a file beside the bundle: the same code
 * then serves the CLI's ES-module chunks, the CommonJS service bundle and the TypeScript sources
 * under test, which all sit in different folders. It loads PGlite from the path this thread
 * resolved, so both threads use the one installed copy.
 */
import { Worker } from 'node:worker_threads';
import type { Database, QueryOptions, QueryResult, SqlExecutor } from './database';
import { preparedName } from './preparedName';

/**
 * Runs in the worker: one PGlite, statements in arrival order, each answered by its id. A
 * statement sent with a name is kept parsed and planned under it (the most recently used 256),
 * and a run is then one call into PostgreSQL: bind, describe, execute and sync in one message.
 * PGlite's query() parses, plans and crosses into WebAssembly six times for each statement:
 * about 390 µs against 70 for a two-row read, measured. A plan a schema change altered is made
 * afresh (only this process changes the store's schema, at start).
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite, protocol, parse } = require(workerData.pglite);
const failure = (e) => ({ message: e && e.message ? String(e.message) : String(e), code: e && e.code, detail: e && e.detail });
// An array of bytea (the chain's deflated texts, storedRaw.ts) goes as Buffer's hexadecimal: PGlite's
// own serialiser builds it a byte at a time.
const backslashes = String.fromCharCode(92, 92);
const byteaArray = (list) =>
  '{' + list.map((b) => (b == null ? 'NULL' : '"' + backslashes + 'x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') + '"')).join(',') + '}';
// Set once PGlite is open: it builds every array type's serialiser as it opens.
const ready = PGlite.create(workerData.dataDir ?? undefined).then((db) => {
  db.serializers[1001] = byteaArray;
  return db;
});
const kept = new Map();
const keepAtMost = 256;
const wire = protocol.serialize;
const joined = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
async function prepare(db, name, sql) {
  const evicted = [];
  for (const old of kept.keys()) {
    if (kept.size - evicted.length < keepAtMost) break;
    evicted.push(old);
  }
  for (const old of evicted) kept.delete(old);
  // Closing a name nothing holds is no error: one a failed attempt left parsed is freed too.
  const { messages } = await db.execProtocol(
    joined([...evicted, name].map((n) => wire.close({ type: 'S', name: n })).concat(wire.parse({ name, text: sql }), wire.describe({ type: 'S', name }), wire.sync())),
    { syncToFs: false },
  );
  const described = messages.find((m) => m.name === 'parameterDescription');
  return described ? described.dataTypeIDs : [];
}
async function run(db, name, sql, params) {
  try {
    return await runKept(db, name, sql, params);
  } catch (e) {
    // A kept plan whose columns a schema change altered: PostgreSQL refuses it; plan it afresh, once.
    if (!(e && e.code === '0A000' && kept.has(name)) || db.isInTransaction()) throw e;
    kept.delete(name);
    return runKept(db, name, sql, params);
  }
}
async function runKept(db, name, sql, params) {
  return db.runExclusive(async () => {
    let types = kept.get(name);
    if (types) kept.delete(name);
    else types = await prepare(db, name, sql);
    kept.set(name, types);
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      const serializer = db.serializers[types[i]];
      return serializer ? serializer(v) : v.toString();
    });
    const { messages } = await db.execProtocol(
      joined([wire.bind({ statement: name, values }), wire.describe({ type: 'P' }), wire.execute({}), wire.sync()]),
      { syncToFs: false },
    );
    if (!db.isInTransaction()) await db.syncToFs();
    return parse.parseResults(messages, db.parsers)[0].rows;
  });
}
ready.then(
  () => parentPort.postMessage({ id: 0 }),
  (e) => parentPort.postMessage({ id: 0, error: failure(e) }),
);
parentPort.on('message', async (m) => {
  const db = await ready;
  try {
    if (m.op === 'close') {
      await db.close();
      parentPort.postMessage({ id: m.id });
      parentPort.close();
      return;
    }
    if (m.op === 'exec') {
      await db.exec(m.sql);
      parentPort.postMessage({ id: m.id });
    } else if (m.name) {
      parentPort.postMessage({ id: m.id, rows: await run(db, m.name, m.sql, m.params ?? []) });
    } else {
      const result = await db.query(m.sql, m.params);
      parentPort.postMessage({ id: m.id, rows: result.rows });
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: failure(e) });
  }
});
`;

interface Reply {
  id: number;
  rows?: unknown[];
  error?: { message: string; code?: string; detail?: string };
}

/** An error from the store, with PostgreSQL's SQLSTATE code and detail where it gave them. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    message: string,
    readonly code?: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/**
 * Opens PGlite in a worker thread: on `dataDir`, or in memory when it is null. Resolves once the
 * store is open, or rejects with PGlite's own reason.
 */
export async function openStoreThread(dataDir: string | null): Promise<Database> {
  const pglite = require.resolve('@electric-sql/pglite');
  const worker = new Worker(workerSource, { eval: true, workerData: { dataDir, pglite } });
  const store = new StoreThread(worker);
  await store.opened;
  return store;
}

class StoreThread implements Database {
  readonly kind = 'embedded' as const;
  readonly opened: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (e: Error) => void }>();
  /** Settles when the open transaction ends; statements outside it wait for it. */
  private idle: Promise<void> = Promise.resolve();
  private stopped: Error | null = null;

  constructor(private readonly worker: Worker) {
    this.opened = new Promise((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject });
    });
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.error) waiting.reject(new StoreError(reply.error.message, reply.error.code, reply.error.detail));
      else waiting.resolve(reply.rows ?? []);
    });
    // A worker that dies (out of memory, an abort inside PostgreSQL) fails what waits on it and
    // everything after, in words, rather than leaving requests hanging.
    const stop = (reason: string) => {
      this.stopped ??= new StoreError(`the embedded store stopped: ${reason}`);
      for (const waiting of this.pending.values()) waiting.reject(this.stopped);
      this.pending.clear();
    };
    worker.on('error', (e) => stop(e.message));
    worker.on('exit', (code) => stop(`its thread exited with code ${code}`));
  }

  private send(message: { op: 'query' | 'exec' | 'close'; sql?: string; params?: unknown[]; name?: string }): Promise<unknown[]> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  private readonly direct: SqlExecutor = {
    // Kept prepared in the worker (see workerSource) when asked to be: the reads every request
    // makes, and a commit's inserts, whose text is the same whatever their size (insertMany). Not
    // the write path's lookups: kept, they run with plans made for no values in particular.
    query: async (sql: string, params?: unknown[], options?: QueryOptions) => ({
      rows: (await this.send({
        op: 'query',
        sql,
        params,
        ...(options?.prepared ? { name: preparedName(sql) } : {}),
      })) as never[],
    }),
    exec: async (sql: string) => {
      await this.send({ op: 'exec', sql });
    },
  };

  /** See `Database.writes`: counted when the statement ends, whether it succeeded or not. */
  writes = 0;

  async query<Row = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<Row>> {
    await this.idle;
    if (/^\s*select\b/i.test(sql)) return this.direct.query<Row>(sql, params, options);
    try {
      return await this.direct.query<Row>(sql, params, options);
    } finally {
      this.writes++;
    }
  }

  async exec(sql: string): Promise<void> {
    await this.idle;
    try {
      await this.direct.exec(sql);
    } finally {
      this.writes++;
    }
  }

  /**
   * One transaction at a time: PGlite has a single connection, so a statement from outside sent
   * between BEGIN and COMMIT would run inside this transaction. Each waits for the one before.
   */
  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let end!: () => void;
    const previous = this.idle;
    this.idle = new Promise<void>((resolve) => (end = resolve));
    await previous;
    try {
      await this.direct.exec('BEGIN');
      try {
        const result = await fn(this.direct);
        await this.direct.exec('COMMIT');
        return result;
      } catch (e) {
        await this.direct.exec('ROLLBACK').catch(() => undefined);
        throw e;
      }
    } finally {
      this.writes++;
      end();
    }
  }

  async close(): Promise<void> {
    await this.idle;
    if (this.stopped) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    await this.send({ op: 'close' });
    this.stopped = new StoreError('the embedded store is closed');
    await exited;
  }
}
