/**
 * One SQL surface over the embedded store (PGlite: PostgreSQL compiled to WebAssembly, data in a
 * folder) and a real PostgreSQL server, so a single set of migrations and queries serves both.
 */
export interface QueryResult<Row> {
  rows: Row[];
}

export interface QueryOptions {
  /**
   * Plan the statement once per connection and keep the plan (a named prepared statement), for
   * the reads every request makes, whose parsing and planning cost as much as their work in the
   * embedded store. Plans are made for no values in particular: only for statements whose plan
   * does not hinge on them. A kept plan whose result columns a migration changed is refused by
   * PostgreSQL; both stores then run the statement afresh (outside a transaction).
   */
  prepared?: boolean;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends SqlExecutor {
  readonly kind: 'embedded' | 'postgres';
  /**
   * The embedded store only, whose one writer is this process: how many statements that may have
   * changed it have ended (every transaction, and any statement but a SELECT outside one). A read
   * sent while it had some value still holds while it has that value. Undefined on PostgreSQL,
   * which other replicas write.
   */
  readonly writes?: number;
  /** Runs `fn` in one transaction; it commits (durably) before the promise resolves. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
