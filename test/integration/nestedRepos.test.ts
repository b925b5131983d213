/**
 * Projects in nested groups (GitLab's `group/subgroup/name`) are repositories like any other:
 * ingested under their full path, asked for through the API (the path after the first segment
 * escaped in one segment), and named with `--repo` in the CLI. A path with a `.` or `..` segment
 * is refused everywhere.
 */
import assert from 'node:assert/strict';
import { ApiClient } from '../../src/core/sources/apiClient';
import { TestRepo } from '../helpers/gitRepo';
import { runLineage } from '../helpers/cli';
import { backends, http, startTestService, type TestService } from '../helpers/testService';

const slug = 'platform/payments/checkout-api';

for (const backend of backends()) {
  describe(`repositories in nested groups (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;
    let repo: TestRepo;
    let head: string;

    before(async () => {
      t = await startTestService(backend);
      repo = TestRepo.init('elsewhere/unrelated');
      repo.write('src/pay.js', ['function pay() {', '  return 1;', '}']);
      head = repo.commit('pay');
      const events = [
        {
          type: 'deployment',
          id: 'n-d1',
          repo: slug,
          deploymentId: 'nested-1',
          environment: 'production',
          commit: head,
          at: '2026-03-02T10:00:00Z',
          actor: 'ci',
        },
        {
          type: 'pull_request',
          id: 'n-pr',
          repo: slug,
          number: 4,
          title: 'Pay',
          url: 'https://gitlab.example.com/platform/payments/checkout-api/-/merge_requests/4',
          state: 'merged',
          headSha: head,
          mergeCommit: head,
          mergedAt: '2026-03-01T12:00:00Z',
          commits: [head],
        },
        {
          type: 'finding',
          id: 'n-f',
          repo: slug,
          findingId: 'nested-f1',
          kind: 'error',
          severity: 'high',
          title: 'boom',
          environment: 'production',
          commit: head,
          locations: [{ path: 'src/pay.js', line: 2, revision: head }],
        },
      ];
      const stored = await http(`${t.url}/v1/events`, { body: JSON.stringify(events) });
      assert.equal(stored.status, 200, stored.text);
    });
    after(async () => {
      await t?.close();
      repo?.dispose();
    });

    it('answers for the full path through the client and over plain HTTP', async () => {
      const client = new ApiClient({ baseUrl: t.url, retries: 0 });
      try {
        const envs = (await client.environments(slug)).environments;
        assert.equal(envs.find((e) => e.name === 'production')?.deployment?.id, 'nested-1');
        assert.equal((await client.deployments(slug, 'production')).deployments.length, 1);
        assert.equal((await client.lineage(slug, [head])).commits[0]?.pullRequests[0]?.number, 4);
        assert.equal((await client.findings(slug, { path: 'src/pay.js' })).findings[0]?.id, 'nested-f1');
      } finally {
        await client.close();
      }
      const raw = await http(`${t.url}/v1/repos/platform/payments%2Fcheckout-api/environments`);
      assert.equal(raw.status, 200);
      assert.equal(raw.json.environments[0].name, 'production');
      // Not another repository: the top group and the last two segments are each their own.
      assert.deepEqual((await http(`${t.url}/v1/repos/payments/checkout-api/environments`)).json.environments, []);
    });

    it('refuses a path with a dot segment, in events and in the API', async () => {
      const bad = await http(`${t.url}/v1/events`, {
        body: JSON.stringify({
          type: 'deployment',
          id: 'n-bad',
          repo: 'platform/../checkout-api',
          deploymentId: 'nested-bad',
          environment: 'production',
          commit: head,
          at: '2026-03-02T10:00:00Z',
        }),
      });
      assert.equal(bad.status, 422);
      assert.equal((await http(`${t.url}/v1/repos/platform/..%2Fcheckout-api/environments`)).status, 400);
    });

    it('names the project with --repo in the CLI', async () => {
      const blame = await runLineage(repo.dir, ['blame', 'src/pay.js', '--json', '--repo', slug, '--api', t.url]);
      assert.equal(blame.status, 0, blame.stderr);
      assert.equal(blame.json.repo, slug);
      const line2 = blame.json.lines[1];
      assert.equal(line2.environments.find((e: any) => e.name === 'production').live, true);
      assert.equal(line2.pullRequest.number, 4);
      assert.equal(line2.findings[0].id, 'nested-f1');
      const trace = await runLineage(repo.dir, ['trace', '--json', '--repo', slug, '--api', t.url], 'lineage-finding:nested-f1');
      assert.equal(trace.status, 0, `${trace.stderr}${trace.stdout.slice(0, 600)}`);
      assert.match(trace.stdout, /"path": "src\/pay\.js"/, 'the finding lands on its file');
      const refused = await runLineage(repo.dir, ['trace', '--repo', 'a/../b', '--api', t.url], 'nested-f1');
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, /--repo must be owner\/name \(or group\/subgroup\/name\)/);
    });
  });
}
