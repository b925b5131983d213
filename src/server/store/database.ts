/**
 * One SQL surface over the embedded store (PGlite: PostgreSQL compiled to WebAssembly, data in a
 * folder) and a real PostgreSQL server, so a single set of migrations and queries serves both.
 */
export interface QueryResult<Row> {
  rows: Row[];
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends SqlExecutor {
  readonly kind: 'embedded' | 'postgres';
  /** Runs `fn` in one transaction; it commits (durably) before the promise resolves. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Folder of the embedded store; created when missing. */
  dataDir?: string;
  /** A postgres:// URL; when set, the embedded store is not used. */
  databaseUrl?: string;
}

/** Loads only the driver in use: the CLI's other commands never pay for PGlite's start-up. */
export async function openDatabase(options: StoreOptions): Promise<Database> {
  if (options.databaseUrl) {
    const { openPostgres } = require('./postgresDatabase') as typeof import('./postgresDatabase');
    return openPostgres(options.databaseUrl);
  }
  const { openEmbedded } = require('./embeddedDatabase') as typeof import('./embeddedDatabase');
  return openEmbedded(options.dataDir ?? '.lineage-data');
}
