/**
 * What one lineage batch reads for a commit, part by part: rows of the asked repository and rows
 * that name no repository, never another repository's rows of the same commit (a fork, a mirror,
 * a monorepo split keep the same commit ids); a pull request with its reviews and every commit it
 * holds; deployments with the approvals given to them and to the CI run that made them.
 */
import assert from 'node:assert/strict';
import { buildEvent } from '../helpers/streams';
import { backends, http, startTestService } from '../helpers/testService';

const shared = 'c3'.repeat(20);
const second = 'd4'.repeat(20);
const head = 'e5'.repeat(20);
const digest = `sha256:${'f6'.repeat(32)}`;

const deployment = (repo: string, id: string, commit: string, extra: object = {}) => ({
  type: 'deployment',
  id: `${repo}-event-${id}`,
  repo,
  deploymentId: id,
  environment: 'production',
  commit,
  at: '2026-03-02T12:00:00Z',
  actor: 'ci-bot',
  status: 'success',
  ...extra,
});

const events = [
  buildEvent('acme/app', 1, shared, '2026-03-01T10:00:00Z'),
  buildEvent('acme/fork', 2, shared, '2026-03-01T10:05:00Z'),
  // An artifact whose sender knew the commit but not the repository.
  { type: 'artifact', id: 'artifact-unowned', digest, name: 'image', commit: shared, createdAt: '2026-03-01T10:10:00Z' },
  {
    type: 'pull_request',
    id: 'pr-7',
    repo: 'acme/app',
    number: 7,
    state: 'merged',
    headSha: head,
    mergeCommit: shared,
    mergedAt: '2026-03-01T09:00:00Z',
    commits: [head, second],
  },
  {
    type: 'review',
    id: 'review-7',
    repo: 'acme/app',
    reviewId: 'r7',
    pullRequest: 7,
    reviewer: 'alice',
    state: 'approved',
    commit: head,
    at: '2026-03-01T08:00:00Z',
  },
  { type: 'pull_request', id: 'fork-pr-7', repo: 'acme/fork', number: 7, state: 'merged', mergeCommit: shared, commits: [shared] },
  deployment('acme/app', 'app-prod-1', shared),
  {
    type: 'approval',
    id: 'approval-1',
    repo: 'acme/app',
    approvalId: 'a1',
    deploymentId: 'app-prod-1',
    approver: 'carol',
    at: '2026-03-02T11:00:00Z',
  },
  deployment('acme/app', 'app-prod-2', shared, { runId: '4242', at: '2026-03-03T12:00:00Z' }),
  {
    type: 'approval',
    id: 'approval-run',
    repo: 'acme/app',
    approvalId: 'a-run',
    environment: 'production',
    runId: '4242',
    approver: 'dave',
    at: '2026-03-03T11:00:00Z',
  },
  deployment('acme/fork', 'fork-prod-1', shared),
];

for (const backend of backends()) {
  describe(`lineage batch (${backend} store)`, function () {
    this.timeout(60_000);

    it("reads a commit's rows of its repository and of none, with pull requests, reviews and approvals, never another repository's", async () => {
      const t = await startTestService(backend);
      try {
        const sent = await http(`${t.url}/v1/events`, { body: JSON.stringify(events) });
        assert.equal(sent.status, 200, sent.text);
        const res = await http(`${t.url}/v1/repos/acme/app/lineage`, { body: JSON.stringify({ commits: [shared, second, head] }) });
        assert.equal(res.status, 200, res.text);
        const [c, s, h] = res.json.commits;
        assert.deepEqual(
          c.builds.map((b: any) => b.id),
          ['acme/app-build-1'],
          "the fork's build of the same commit is not this repository's",
        );
        assert.deepEqual(
          c.artifacts.map((a: any) => [a.digest, a.repo]),
          [[digest, null]],
          'an artifact that names no repository is found by its commit',
        );
        assert.deepEqual(
          c.deployments.map((d: any) => [d.id, d.approvals.map((a: any) => a.approver)]),
          [
            ['app-prod-2', ['dave']],
            ['app-prod-1', ['carol']],
          ],
          "newest first, each with the approvals given to it or to its run; the fork's deployment is not here",
        );
        assert.deepEqual(
          c.pullRequests.map((p: any) => [p.repo, p.number, p.commits, p.reviews.map((r: any) => r.reviewer)]),
          [['acme/app', 7, [shared, second, head].sort(), ['alice']]],
          'the merge commit is in its pull request, which lists every commit it holds',
        );
        assert.deepEqual(
          [s, h].map((x: any) => [x.sha, x.pullRequests.map((p: any) => p.number), x.builds.length, x.deployments.length]),
          [
            [second, [7], 0, 0],
            [head, [7], 0, 0],
          ],
        );
        // Every field of a row, as the reads by id give it (another statement, its rows keyed by
        // column): a value sent under the wrong column, or one left out, differs here.
        for (const d of c.deployments) {
          const one = await http(`${t.url}/v1/deployments/${encodeURIComponent(d.id)}`);
          assert.equal(one.status, 200, one.text);
          assert.deepEqual(d, one.json, `deployment ${d.id} in the batch as GET /v1/deployments gives it`);
        }
        const byDigest = await http(`${t.url}/v1/artifacts/${digest}`);
        assert.equal(byDigest.status, 200, byDigest.text);
        assert.deepEqual(c.artifacts[0], byDigest.json.artifact, 'the artifact as GET /v1/artifacts gives it');
        assert.ok(
          Object.keys(c.builds[0]).length >= 10 && c.builds[0].commit === shared && c.builds[0].startedAt,
          JSON.stringify(c.builds[0]),
        );
      } finally {
        await t.close();
      }
    });
  });
}
