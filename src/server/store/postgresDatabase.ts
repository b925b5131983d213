import pg from 'pg';
import type { Database, QueryOptions } from './database';
import { preparedName } from './preparedName';

// Keep int8 (counts, sequence numbers) as JS numbers; they stay far below 2^53 here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

/**
 * node-postgres parses a named statement once on each connection and only binds it after. A
 * replica that migrated the schema under another's kept plan makes PostgreSQL refuse that plan
 * (0A000, "cached plan must not change result type"): outside a transaction the statement is
 * then run unnamed.
 */
async function run(on: pg.Pool | pg.PoolClient, sql: string, params?: unknown[], options?: QueryOptions): Promise<never> {
  if (!options?.prepared) return (await on.query(sql, params)) as never;
  try {
    return (await on.query({ name: preparedName(sql), text: sql, values: params })) as never;
  } catch (e) {
    if ((e as { code?: string }).code !== '0A000' || !(on instanceof pg.Pool)) throw e;
    return (await on.query(sql, params)) as never;
  }
}

export async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 10_000 });
  // Fail at start-up, with the server's own message, rather than on the first request.
  const probe = await pool.connect();
  probe.release();
  return {
    kind: 'postgres',
    query: (sql, params, options) => run(pool, sql, params, options),
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: (sql, params, options) => run(client, sql, params, options),
          exec: async (sql) => {
            await client.query(sql);
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
