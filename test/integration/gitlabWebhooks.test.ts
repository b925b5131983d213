/**
 * GitLab's webhooks over real HTTP, with the payloads GitLab documents (test/fixtures/gitlab):
 * deployments, merge requests with their approvals, pipelines and their jobs, jobs, releases;
 * the X-Gitlab-Token checked, a resend stored once, a header that names another event than the
 * body refused, events not read kept and said to be ignored, and every row re-derived by the
 * audit log's verification.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';
import { gitlabDeploymentStatus } from '../../src/core/sources/gitlab/gitlabMappings';
import { backends, fixturesDir, http, startTestService, type TestService } from '../helpers/testService';

const fixture = (name: string) => readFileSync(join(fixturesDir(), 'gitlab', name), 'utf8');
const secret = 'gitlab-hook-secret';

for (const backend of backends()) {
  describe(`GitLab webhooks (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;
    before(async () => {
      t = await startTestService(backend, { writeToken: 'write-secret', gitlabToken: secret });
    });
    after(async () => {
      await t?.close();
    });

    const deliver = (event: string, body: string, token: string | null = secret) =>
      http(`${t.url}/v1/webhooks/gitlab`, {
        body,
        headers: { 'x-gitlab-event': event, ...(token === null ? {} : { 'x-gitlab-token': token }) },
      });
    const read = (path: string) => http(`${t.url}${path}`, { headers: { authorization: 'Bearer write-secret' } });
    const lineageOf = async (repo: string, commit: string) =>
      (
        await http(`${t.url}/v1/repos/${repo}/lineage`, {
          body: JSON.stringify({ commits: [commit] }),
          headers: { authorization: 'Bearer write-secret' },
        })
      ).json.commits[0];

    it('takes a deployment: environment, the full commit from its URL, status and who ran it', async () => {
      const sent = await deliver('Deployment Hook', fixture('deployment-hook.json'));
      assert.equal(sent.status, 200, sent.text);
      assert.equal(sent.json.accepted, 1);
      const envs = await read('/v1/repos/root/test-deployment-webhooks/environments');
      const staging = envs.json.environments.find((e: any) => e.name === 'staging');
      assert.equal(staging.deployment.id, 'gitlab:root/test-deployment-webhooks:deployment:15');
      assert.equal(staging.deployment.commit, '279484c09fbe69ededfced8c1bb6e6d24616b468');
      assert.equal(staging.deployment.status, 'success');
      assert.equal(staging.deployment.actor, 'root');
      assert.equal(staging.deployment.at, '2021-04-28T19:50:00.000Z');
      assert.equal(staging.deployment.url, 'http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796');
    });

    it('reads a skipped deployment as direct mode does: an error, not one still to come', async () => {
      const skipped = {
        ...JSON.parse(fixture('deployment-hook.json')),
        deployment_id: 16,
        status: 'skipped',
        status_changed_at: '2021-04-28 21:50:00 +0200',
      };
      assert.equal((await deliver('Deployment Hook', JSON.stringify(skipped))).status, 200);
      const history = await read('/v1/repos/root/test-deployment-webhooks/environments/staging/deployments');
      const stored = history.json.deployments.find((d: any) => d.id === 'gitlab:root/test-deployment-webhooks:deployment:16');
      assert.ok(stored, JSON.stringify(history.json));
      assert.equal(stored.status, 'error');
      assert.equal(stored.status, gitlabDeploymentStatus('skipped'), 'webhooks and direct mode agree');
      const envs = await read('/v1/repos/root/test-deployment-webhooks/environments');
      assert.equal(
        envs.json.environments.find((e: any) => e.name === 'staging').deployment.id,
        'gitlab:root/test-deployment-webhooks:deployment:15',
      );
    });

    it('stores a resend once', async () => {
      const again = await deliver('Deployment Hook', fixture('deployment-hook.json'));
      assert.equal(again.status, 200);
      assert.equal(again.json.accepted, 0);
      assert.equal(again.json.duplicates, 1);
    });

    it('refuses a wrong X-Gitlab-Token, and a delivery with neither it nor the write token', async () => {
      const wrong = await deliver('Deployment Hook', fixture('deployment-hook.json'), 'guess');
      assert.equal(wrong.status, 401);
      assert.match(wrong.json.detail, /X-Gitlab-Token does not match/);
      const none = await deliver('Deployment Hook', fixture('deployment-hook.json'), null);
      assert.equal(none.status, 401);
    });

    it('takes a merge request, then an approval of its head and its withdrawal', async () => {
      const mr = fixture('merge-request-hook.json');
      assert.equal((await deliver('Merge Request Hook', mr)).status, 200);
      const head = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
      const lineage = () => lineageOf('gitlabhq/gitlab-test', head);
      let pr = (await lineage()).pullRequests[0];
      assert.equal(pr.number, 1);
      assert.equal(pr.title, 'MS-Viewport');
      assert.equal(pr.state, 'open');
      assert.equal(pr.headSha, head);
      assert.equal(pr.headRef, 'ms-viewport');
      assert.equal(pr.author, 'root', 'the user who opened it');
      // GitLab sends an approval as the same hook with action "approved", updated later.
      const approved = JSON.parse(mr);
      approved.object_attributes.action = 'approved';
      approved.object_attributes.updated_at = '2013-12-04T09:00:00Z';
      assert.equal((await deliver('Merge Request Hook', JSON.stringify(approved))).status, 200);
      pr = (await lineage()).pullRequests[0];
      assert.deepEqual(
        pr.reviews.map((r: any) => [r.reviewer, r.state, r.commit]),
        [['root', 'approved', head]],
      );
      assert.equal(pr.author, 'root', 'an approval does not make the approver the author');
      approved.object_attributes.action = 'unapproved';
      approved.object_attributes.updated_at = '2013-12-04T10:00:00Z';
      assert.equal((await deliver('Merge Request Hook', JSON.stringify(approved))).status, 200);
      assert.deepEqual(
        (await lineage()).pullRequests[0].reviews.map((r: any) => r.state),
        ['dismissed'],
      );
    });

    it('takes a pipeline as a build of its commit and each job as a check, and a job hook as the same check', async () => {
      assert.equal((await deliver('Pipeline Hook', fixture('pipeline-hook.json'))).status, 200);
      const commit = 'bcbb5ec396a2c0f828686f14fac9b80b780504f2';
      const builds = (await lineageOf('gitlab-org/gitlab-test', commit)).builds;
      const byName = Object.fromEntries(builds.map((b: any) => [b.name, [b.kind, b.status, b.conclusion]]));
      assert.deepEqual(byName['Pipeline for branch: master'], ['pipeline', 'completed', 'success']);
      assert.deepEqual(byName['test-build'], ['check', 'completed', 'failure']);
      assert.deepEqual(byName['production'], ['check', 'completed', 'skipped']);
      assert.deepEqual(byName['staging'], ['check', 'queued', null]);
      assert.equal(builds.length, 6);
      assert.equal((await deliver('Job Hook', fixture('job-hook.json'))).status, 200);
      const job = (await lineageOf('gitlab-org/gitlab-test', '2293ada6b400935a1378653304eaf6221e0fdb8f')).builds;
      assert.deepEqual(
        job.map((b: any) => [b.id, b.name, b.status, b.url]),
        [['gitlab:gitlab-org/gitlab-test:job:1977', 'test', 'queued', 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/1977']],
      );
    });

    it("takes a release's commit", async () => {
      assert.equal((await deliver('Release Hook', fixture('release-hook.json'))).status, 200);
      const commit = (await lineageOf('gitlab-org/release-webhook-example', 'ee0a3fb31ac16e11b9dbb596ad16d4af654d08f8')).commit;
      assert.equal(commit.message, 'Release v1.1');
      assert.equal(commit.author, 'Example User');
    });

    it('refuses a header naming another event than the body, and keeps events it does not read as ignored', async () => {
      const mismatch = await deliver('Pipeline Hook', fixture('deployment-hook.json'));
      assert.equal(mismatch.status, 422);
      assert.match(mismatch.text, /X-Gitlab-Event says \\"Pipeline Hook\\", but the body is a \\"deployment\\" event/);
      const smuggled = await deliver('Note Hook', fixture('deployment-hook.json'));
      assert.equal(smuggled.status, 422, 'a read event under an unread name is refused too');
      const note = await deliver(
        'Note Hook',
        JSON.stringify({ object_kind: 'note', project: { path_with_namespace: 'gitlabhq/gitlab-test' } }),
      );
      assert.equal(note.status, 200);
      assert.equal(note.json.ignored, true);
      const traversal = JSON.parse(fixture('deployment-hook.json'));
      traversal.project.path_with_namespace = 'root/../other';
      const refused = await deliver('Deployment Hook', JSON.stringify(traversal));
      assert.equal(refused.status, 422);
      assert.match(refused.text, /path_with_namespace/);
      const missing = await http(`${t.url}/v1/webhooks/gitlab`, {
        body: fixture('deployment-hook.json'),
        headers: { 'x-gitlab-token': secret },
      });
      assert.equal(missing.status, 400);
    });

    it('sends a saved GitLab payload with `lineage ingest --gitlab-event`, once', async () => {
      const repo = TestRepo.init('acme/cli');
      after(() => repo.dispose());
      const dir = repo.dir;
      const args = [
        'ingest',
        '--api',
        t.url,
        '--token',
        'write-secret',
        '--gitlab-event',
        'Release Hook',
        '--json',
        join(fixturesDir(), 'gitlab', 'release-hook.json'),
      ];
      const first = await runLineage(dir, args);
      assert.equal(first.status, 0, first.stderr);
      assert.deepEqual(
        first.json.files.map((f: any) => [f.kind, Number(f.stored) + Number(f.duplicates)]),
        [['gitlab', 1]],
      );
      const again = await runLineage(dir, args);
      assert.equal(again.json.files[0].stored, 0, 'the same delivery again is a duplicate');
      const both = await runLineage(dir, ['ingest', '--api', t.url, '--github-event', 'push', '--gitlab-event', 'Push Hook', '-'], '{}');
      assert.equal(both.status, 2);
      assert.match(both.stderr, /give --github-event or --gitlab-event, not both/);
    });

    it('re-derives every GitLab row from its stored delivery', async () => {
      const verdict = (await read('/v1/audit/verify')).json;
      assert.equal(verdict.ok, true, verdict.reason);
      assert.deepEqual(verdict.differences, []);
    });
  });
}
