/**
 * A row is the same whatever order its facts arrive in. GitHub's own workflow_job examples report
 * one job four times (queued and in progress later, completed twice with different conclusions
 * earlier); each column must hold the value of the highest-ranked report that gave one, in all 24
 * orders, one commit per report or all in one, and audit verification must agree.
 */
import assert from 'node:assert/strict';
import { backends, http, startTestService } from '../helpers/testService';
import { normalizeGithubEvent } from '../../src/core/ingest/github';
import { webhookExamples } from '../helpers/webhookExamples';

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

for (const backend of backends()) {
  describe(`merging reports of one row (${backend} store)`, function () {
    this.timeout(180_000);

    it('gives every order of the same reports the same row', async () => {
      const t = await startTestService(backend);
      try {
        const same = webhookExamples.find((g) => g.name === 'workflow_job')!.examples.filter((e) => e.workflow_job.id === 289782451);
        assert.equal(same.length, 4, 'the examples report job 289782451 four times');
        const orders = permutations(same.map((_, i) => i));
        const wrong: string[] = [];
        for (const [n, order] of orders.entries()) {
          const id = 9_000_000 + n;
          const bodies = same.map((report) => {
            const payload = structuredClone(report);
            payload.workflow_job.id = id;
            return JSON.stringify(payload);
          });
          // The definition: each column from the highest-ranked report that has it (ranks end with
          // the event key, a hash of the body, so the two completed reports' order is the bodies').
          const facts = bodies.map((b) => normalizeGithubEvent('workflow_job', JSON.parse(b), b).facts[0]!);
          const columnOf = (col: string) =>
            facts
              .filter((f) => (f.row as Record<string, unknown>)[col] !== null)
              .sort((a, b) => (a.rank < b.rank ? 1 : -1))
              .map((f) => (f.row as Record<string, unknown>)[col])[0] ?? null;
          const expected = JSON.stringify([columnOf('status'), columnOf('conclusion'), columnOf('finished_at')]);
          const send = (i: number) =>
            http(`${t.url}/v1/webhooks/github`, { body: bodies[i]!, headers: { 'x-github-event': 'workflow_job' } });
          if (n % 2 === 0) {
            for (const i of order) {
              assert.equal((await send(i)).status, 200);
              await t.client.health(); // the store has it before the next: one commit each
            }
          } else {
            await Promise.all(order.map(send)); // together: merged in memory first
          }
          const sha = same[0]!.workflow_job.head_sha as string;
          const build = (await t.client.lineage(same[0]!.repository.full_name, [sha])).commits[0]!.builds.find(
            (b) => b.id === `github:check_run:${id}`,
          )!;
          const got = JSON.stringify([build.status, build.conclusion, build.finishedAt]);
          if (got !== expected) wrong.push(`order ${order.join('')}: ${got}, expected ${expected}`);
        }
        assert.deepEqual(wrong, []);
        const audit = await t.client.verifyAudit();
        assert.equal(audit.ok, true, audit.reason ?? JSON.stringify(audit.differences));
      } finally {
        await t.close();
      }
    });

    it("keeps a value from a lower rank than the row's, so a report ranked between them still wins it", async () => {
      // Queued (url u1), in progress (url u2), completed (no url): the url is u2 whatever the order.
      // Queued then completed leaves u1 under a row of the completed rank; the in-progress report,
      // ranked between the two, must still replace it.
      const t = await startTestService(backend);
      try {
        const commit = 'c'.repeat(40);
        const reports = (buildId: string) => [
          {
            type: 'build',
            id: `${buildId}-q`,
            repo: 'acme/a',
            buildId,
            commit,
            status: 'queued',
            startedAt: '2026-01-01T00:00:01Z',
            url: 'https://ci/u1',
            name: 'unit',
          },
          {
            type: 'build',
            id: `${buildId}-p`,
            repo: 'acme/a',
            buildId,
            commit,
            status: 'in_progress',
            startedAt: '2026-01-01T00:00:02Z',
            url: 'https://ci/u2',
          },
          {
            type: 'build',
            id: `${buildId}-c`,
            repo: 'acme/a',
            buildId,
            commit,
            status: 'completed',
            conclusion: 'success',
            startedAt: '2026-01-01T00:00:02Z',
            finishedAt: '2026-01-01T00:00:03Z',
          },
        ];
        const wrong: string[] = [];
        for (const [n, order] of permutations([0, 1, 2]).entries()) {
          for (const together of [false, true]) {
            const buildId = `b-${n}-${together ? 'together' : 'apart'}`;
            const bodies = reports(buildId).map((r) => JSON.stringify(r));
            const send = (i: number) => http(`${t.url}/v1/events`, { body: bodies[i]! });
            if (together) await Promise.all(order.map(send));
            else
              for (const i of order) {
                assert.equal((await send(i)).status, 200);
                await t.client.health();
              }
            const build = (await t.client.lineage('acme/a', [commit])).commits[0]!.builds.find((b) => b.id === buildId)!;
            const got = JSON.stringify([build.url, build.name, build.status, build.conclusion]);
            const expected = JSON.stringify(['https://ci/u2', 'unit', 'completed', 'success']);
            if (got !== expected) wrong.push(`order ${order.join('')}${together ? ' together' : ''}: ${got}`);
          }
        }
        assert.deepEqual(wrong, []);
        // A row all of whose values came from its own rank names none in `ranks`.
        const single = JSON.stringify({ ...reports('b-single')[2], id: 'b-single-only' });
        assert.equal((await http(`${t.url}/v1/events`, { body: single })).status, 200);
        await t.client.health();
        const stored = await t.service.db.query<{ id: string; ranks: unknown }>(
          "SELECT id, ranks FROM builds WHERE id IN ('b-single', 'b-0-apart') ORDER BY id",
        );
        // Queued, in progress, completed one commit each: the url kept from the in-progress report
        // and the name from the queued one are named; the rest are the completed report's.
        const ranks = Object.fromEntries(stored.rows.map((r) => [r.id, r.ranks as Record<string, string> | null]));
        assert.deepEqual(Object.keys(ranks['b-0-apart'] ?? {}).sort(), ['name', 'url']);
        assert.match(ranks['b-0-apart']!.url!, /^2026-01-01T00:00:02/);
        assert.match(ranks['b-0-apart']!.name!, /^2026-01-01T00:00:01/);
        assert.equal(ranks['b-single'], null);
        const audit = await t.client.verifyAudit();
        assert.equal(audit.ok, true, audit.reason ?? JSON.stringify(audit.differences));
      } finally {
        await t.close();
      }
    });
  });
}
