/** A new, empty database on the server `base` names: every benchmark run starts from nothing. */
import pg from 'pg';

export async function freshPostgres(base: string): Promise<string> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  const name = `lineage_bench_${Date.now()}_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
