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
import { compressParams } from './storedRaw';

/**
 * Runs in the worker: one PGlite, statements in arrival order, each answered by its id. A
 * prepared statement is parsed and planned once under its name and then only bound and run,
 * through PGlite's wire-protocol entry under its own query lock; PGlite's query() parses and
 * plans every time, which for the lineage batch cost as much as a quarter of its work.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite, protocol, parse } = require(workerData.pglite);
const failure = (e) => ({ message: e && e.message ? String(e.message) : String(e), code: e && e.code, detail: e && e.detail });
const ready = PGlite.create(workerData.dataDir ?? undefined);
const prepared = new Map();
async function runPrepared(db, name, sql, params) {
  return db.runExclusive(async () => {
    const messages = [];
    const send = async (bytes) => messages.push(...(await db.execProtocol(bytes, { syncToFs: false })).messages);
    try {
      if (!prepared.has(name)) {
        // Closing a name nothing holds is no error; one a failed attempt left parsed is freed.
        await send(protocol.serialize.close({ type: 'S', name }));
        await send(protocol.serialize.parse({ name, text: sql }));
        await send(protocol.serialize.describe({ type: 'S', name }));
        const described = messages.find((m) => m.name === 'parameterDescription');
        prepared.set(name, described ? described.dataTypeIDs : []);
        messages.length = 0;
      }
      const types = prepared.get(name);
      const values = params.map((v, i) => {
        if (v === null || v === undefined) return null;
        const serializer = db.serializers[types[i]];
        return serializer ? serializer(v) : v.toString();
      });
      await send(protocol.serialize.bind({ statement: name, values }));
      await send(protocol.serialize.describe({ type: 'P' }));
      await send(protocol.serialize.execute({}));
    } finally {
      messages.push(...(await db.execProtocol(protocol.serialize.sync(), { syncToFs: false })).messages);
    }
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
    } else if (m.prepared) {
      parentPort.postMessage({ id: m.id, rows: await runPrepared(db, m.prepared, m.sql, m.params ?? []) });
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

  private send(message: { op: 'query' | 'exec' | 'close'; sql?: string; params?: unknown[]; prepared?: string }): Promise<unknown[]> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  private readonly direct: SqlExecutor = {
    // A deflated(text) parameter is compressed here, as the PostgreSQL client does before it sends
    // (storedRaw.ts); a delivery's text usually arrives compressed already (compressAhead).
    query: async (sql: string, params?: unknown[], options?: QueryOptions) => ({
      rows: (await this.send({
        op: 'query',
        sql,
        params: compressParams(params),
        ...(options?.prepared ? { prepared: preparedName(sql) } : {}),
      })) as never[],
    }),
    exec: async (sql: string) => {
      await this.send({ op: 'exec', sql });
    },
  };

  async query<Row = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<Row>> {
    await this.idle;
    return this.direct.query<Row>(sql, params, options);
  }

  async exec(sql: string): Promise<void> {
    await this.idle;
    return this.direct.exec(sql);
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
