/**
 * The service keeps each commit's lineage between batches. A kept answer must never outlive a
 * write that changes it: not through the replica that wrote, and not through another replica on
 * the same database, whose cache saw nothing of the write but the repository's version row.
 */
import assert from 'node:assert/strict';
import { buildEvent } from '../helpers/streams';
import { backends, http, startTestService, type TestService } from '../helpers/testService';

const sha = 'a1'.repeat(20);
const other = 'b2'.repeat(20);

const events = (repo: string, n: number, commit: string) => [
  buildEvent(repo, n, commit, '2026-03-01T10:00:00Z'),
  {
    type: 'deployment',
    id: `${repo}-deploy-${n}`,
    repo,
    deploymentId: `${repo}-production-${n}`,
    environment: 'production',
    commit,
    at: `2026-03-0${n}T12:00:00Z`,
    actor: 'ci-bot',
    status: 'success',
  },
];

async function send(t: TestService, body: unknown): Promise<void> {
  const res = await http(`${t.url}/v1/events`, { body: JSON.stringify(body) });
  assert.equal(res.status, 200, res.text);
}

async function lineage(t: TestService, repo: string, commits: string[]): Promise<any[]> {
  const res = await http(`${t.url}/v1/repos/${repo}/lineage`, { body: JSON.stringify({ commits }) });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.repo, repo);
  return res.json.commits;
}

for (const backend of backends()) {
  describe(`lineage cache (${backend} store)`, function () {
    this.timeout(60_000);

    it('serves a kept answer only while nothing of its repository changed', async () => {
      const t = await startTestService(backend);
      try {
        await send(t, events('acme/cache', 1, sha).slice(0, 1));
        const first = await lineage(t, 'acme/cache', [sha, other, sha.toUpperCase()]);
        assert.deepEqual(
          first.map((c) => [c.sha, c.builds.length, c.deployments.length]),
          [
            [sha, 1, 0],
            [other, 0, 0],
          ],
          'one answer per commit, in the order asked, a commit named twice once',
        );
        assert.deepEqual(await lineage(t, 'acme/cache', [sha, other]), first, 'asked again, the same answer');

        // Another repository's write leaves this answer as it was; this repository's changes it.
        await send(t, events('acme/elsewhere', 1, sha));
        assert.deepEqual(await lineage(t, 'acme/cache', [sha, other]), first);
        await send(t, events('acme/cache', 2, sha)[1]);
        const after = await lineage(t, 'acme/cache', [other, sha]);
        assert.deepEqual(
          after.map((c) => [c.sha, c.deployments.map((d: any) => d.id)]),
          [
            [other, []],
            [sha, ['acme/cache-production-2']],
          ],
        );
        // A deployment of the other commit: that commit's kept answer goes too.
        await send(t, events('acme/cache', 3, other)[1]);
        assert.deepEqual(
          (await lineage(t, 'acme/cache', [sha, other])).map((c) => c.deployments.length),
          [1, 1],
        );
      } finally {
        await t.close();
      }
    });

    if (backend === 'postgres') {
      it("follows another replica's write to the same database", async () => {
        const a = await startTestService(backend);
        const b = await startTestService(backend, {}, a.store);
        try {
          await send(a, events('acme/replicas', 1, sha).slice(0, 1));
          assert.deepEqual(
            (await lineage(b, 'acme/replicas', [sha])).map((c) => c.deployments.length),
            [0],
          );
          await send(a, events('acme/replicas', 2, sha)[1]);
          const seen = await lineage(b, 'acme/replicas', [sha]);
          assert.deepEqual(
            seen[0].deployments.map((d: any) => d.id),
            ['acme/replicas-production-2'],
            'the replica that did not write reads the write, not its kept answer',
          );
        } finally {
          await b.close();
          await a.close();
        }
      });
    }
  });
}
