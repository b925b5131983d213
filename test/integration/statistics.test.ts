/**
 * The embedded store has no autovacuum: the service itself must refresh planner statistics as the
 * store grows, or batch lookups fall back to sequential scans.
 */
import assert from 'node:assert/strict';
import { startTestService } from '../helpers/testService';
import { syntheticStream } from '../helpers/streams';

const estimatedEvents = async (db: { query: (sql: string) => Promise<{ rows: any[] }> }) =>
  Number((await db.query(`SELECT reltuples FROM pg_class WHERE relname = 'events' AND relkind = 'r'`)).rows[0].reltuples);

describe('embedded store statistics', function () {
  this.timeout(120_000);

  it('analyzes the tables once the store has grown, so the planner uses the indexes', async () => {
    const t = await startTestService('embedded');
    try {
      assert.ok((await estimatedEvents(t.service.db)) <= 0, 'a new store has no statistics yet');
      const events = syntheticStream('acme/stats', 150);
      assert.ok(events.length >= 1_000, `the stream has ${events.length} events`);
      await t.client.ingest('events', JSON.stringify(events));
      // The ANALYZE runs after the acknowledgement; a query queues behind it on the one connection.
      await t.client.environments('acme/stats');
      const estimate = await estimatedEvents(t.service.db);
      assert.ok(estimate >= events.length * 0.9, `estimate ${estimate} for ${events.length} events`);
      const plan = (
        await t.service.db.query(`EXPLAIN SELECT * FROM deployments WHERE commit_sha = ANY($1::text[])`, [
          [(events[0] as any).commit ?? 'abc'],
        ])
      ).rows
        .map((r: any) => r['QUERY PLAN'])
        .join('\n');
      assert.doesNotMatch(plan, /Seq Scan/, plan);
    } finally {
      await t.close();
    }
  });
});
