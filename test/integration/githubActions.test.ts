/**
 * GitHub Actions and environments through the webhook, on GitHub's own example deliveries
 * (@octokit/webhooks-examples): every event GitHub sends is acknowledged; jobs, suites and
 * releases are recorded; an environment reviewer's approval of a run is the approval of the
 * deployment that run made, in the service, in `lineage blame` and in its audit verification.
 *
 * The examples hold a `deployment_review` only as requested; the approved and rejected ones are
 * that delivery turned into the decision GitHub's schema describes (action, approver, comment,
 * workflow_job_runs).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { backends, http, startTestService, type TestService } from '../helpers/testService';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';
import { FakeGitHub } from '../helpers/githubServer';
import { webhookExample, webhookExamples } from '../helpers/webhookExamples';

const read = new Set([
  'deployment',
  'deployment_status',
  'pull_request',
  'pull_request_review',
  'workflow_run',
  'check_run',
  'status',
  'push',
  'code_scanning_alert',
  'ping',
  'workflow_job',
  'deployment_review',
  'check_suite',
  'release',
]);

function deliver(t: TestService, event: string, payload: unknown) {
  return http(`${t.url}/v1/webhooks/github`, { body: JSON.stringify(payload), headers: { 'x-github-event': event } });
}

/** A deployment made by workflow run `runId`, as GitHub reports its success. */
function deploymentOfRun(repo: string, environment: string, runId: number, deploymentId: number, commit: string): any {
  const payload = webhookExample('deployment_status', 1);
  assert.ok(payload.workflow_run, 'the example names its workflow run');
  payload.repository.full_name = repo;
  payload.workflow_run.id = runId;
  Object.assign(payload.deployment, { id: deploymentId, environment, sha: commit, created_at: '2026-03-01T10:00:00Z' });
  Object.assign(payload.deployment_status, { state: 'success', created_at: '2026-03-01T10:05:00Z', updated_at: '2026-03-01T10:05:00Z' });
  return payload;
}

/** A required reviewer's decision on run `runId`'s jobs for `environment`. */
function review(repo: string, runId: number, environment: string, approver: string, action: 'approved' | 'rejected', comment: string): any {
  const payload = webhookExample('deployment_review');
  payload.repository.full_name = repo;
  payload.action = action;
  payload.workflow_run.id = runId;
  payload.approver = { login: approver, type: 'User' };
  payload.comment = comment;
  payload.workflow_job_runs = [{ ...payload.workflow_job_run, environment, updated_at: '2026-03-01T09:59:00Z' }];
  delete payload.workflow_job_run;
  delete payload.requestor;
  return payload;
}

for (const backend of backends()) {
  describe(`GitHub Actions and environments (${backend} store)`, function () {
    this.timeout(120_000);
    let t: TestService;
    beforeEach(async () => {
      t = await startTestService(backend);
    });
    afterEach(async () => t?.close());

    it("acknowledges every one of GitHub's example deliveries, reading some and keeping the rest as they came", async () => {
      const bodies = new Set<string>();
      let ignored = 0;
      for (const group of webhookExamples) {
        for (const payload of group.examples) {
          const res = await deliver(t, group.name, payload);
          assert.equal(res.status, 200, `${group.name}: ${res.text}`);
          assert.equal(res.json.ignored === true, !read.has(group.name), `${group.name}: ignored is ${res.json.ignored}`);
          if (res.json.ignored) ignored++;
          bodies.add(JSON.stringify(payload));
        }
      }
      assert.equal(webhookExamples.length, 58);
      assert.ok(ignored > 100, `${ignored} deliveries of events not read`);
      // Each distinct body is one stored event, read or not, and the chain re-derives them all.
      assert.equal((await t.client.health()).events, bodies.size);
      const audit = await t.client.verifyAudit();
      assert.equal(audit.ok, true, audit.reason ?? JSON.stringify(audit.differences));
    });

    it('refuses a body sent under another event than the one it is, read or not', async () => {
      const status = webhookExample('deployment_status');
      const res = await deliver(t, 'star', status);
      assert.equal(res.status, 422);
      assert.match(res.text, /X-GitHub-Event says \\?"star\\?", but the body is a deployment_status event/);
      const job = await deliver(t, 'check_run', webhookExample('workflow_job'));
      assert.equal(job.status, 422);
      assert.equal((await t.client.health()).events, 0);
    });

    it("makes an environment reviewer's approval of a run the approval of the deployment that run made", async () => {
      const repo = 'acme/shop';
      const commit = 'c'.repeat(40);
      for (const payload of [
        deploymentOfRun(repo, 'production', 5001, 901, commit),
        review(repo, 5001, 'production', 'rita', 'approved', 'Checked the canary'),
        // The same run's other environment, another run's approval, and a rejection elsewhere do not count.
        review(repo, 5001, 'staging', 'sam', 'approved', 'fine'),
        review(repo, 5002, 'production', 'eve', 'approved', 'not this run'),
        review(repo, 5001, 'canary', 'mallory', 'rejected', 'no'),
      ]) {
        const res = await deliver(t, payload.deployment_status ? 'deployment_status' : 'deployment_review', payload);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.ignored, undefined);
      }
      const history = await t.client.deployments(repo, 'production');
      const d = history.deployments.find((x) => x.id === `github:${repo}:901`)!;
      assert.ok(d, 'the deployment is stored');
      assert.equal(d.runId, '5001');
      assert.deepEqual(
        d.approvals.map((a) => [a.approver, a.state, a.comment, a.runId, a.deploymentId]),
        [['rita', 'approved', 'Checked the canary', '5001', d.id]],
      );
      // The approval arriving first links as well as after: the link is made when read.
      const early = review(repo, 6001, 'production', 'una', 'approved', 'before the deployment');
      assert.equal((await deliver(t, 'deployment_review', early)).status, 200);
      assert.equal((await deliver(t, 'deployment_status', deploymentOfRun(repo, 'production', 6001, 902, commit))).status, 200);
      const later = (await t.client.deployments(repo, 'production')).deployments.find((x) => x.id === `github:${repo}:902`)!;
      assert.deepEqual(
        later.approvals.map((a) => a.approver),
        ['una'],
      );
      const audit = await t.client.verifyAudit();
      assert.equal(audit.ok, true, audit.reason ?? JSON.stringify(audit.differences));
    });

    it("records a workflow job as its commit's check, and links the deployment a job carries to the job's run", async () => {
      const withDeployment = webhookExamples.find((g) => g.name === 'workflow_job')!.examples.find((e) => e.deployment)!;
      const res = await deliver(t, 'workflow_job', withDeployment);
      assert.equal(res.status, 200, res.text);
      const repo = withDeployment.repository.full_name as string;
      const job = withDeployment.workflow_job;
      const lineage = await t.client.lineage(repo, [job.head_sha]);
      const build = lineage.commits[0]!.builds.find((b) => b.id === `github:check_run:${job.id}`);
      assert.ok(build, 'the job is a build of its commit');
      assert.equal(build.name, job.name);
      assert.equal(build.ref, job.head_branch);
      assert.equal(build.status, 'queued');
      const d = (await t.client.deployments(repo, withDeployment.deployment.environment)).deployments[0]!;
      assert.equal(d.id, `github:${repo}:${withDeployment.deployment.id}`);
      assert.equal(d.runId, String(job.run_id));
      assert.equal(d.status, 'pending');

      // The same job reported as a check run later is the same build, now completed.
      const completed = webhookExamples.find((g) => g.name === 'workflow_job')!.examples.find((e) => e.action === 'completed')!;
      assert.equal((await deliver(t, 'workflow_job', completed)).status, 200);
      const done = await t.client.lineage(completed.repository.full_name, [completed.workflow_job.head_sha]);
      const finished = done.commits[0]!.builds.find((b) => b.id === `github:check_run:${completed.workflow_job.id}`)!;
      assert.equal(finished.status, 'completed');
      assert.equal(finished.conclusion, completed.workflow_job.conclusion);
    });

    it("records a check suite as a build, and a release's digested assets as artifacts of its commit", async () => {
      const suite = webhookExamples.find((g) => g.name === 'check_suite')!.examples.find((e) => e.action === 'completed')!;
      assert.equal((await deliver(t, 'check_suite', suite)).status, 200);
      const lineage = await t.client.lineage(suite.repository.full_name, [suite.check_suite.head_sha]);
      const build = lineage.commits[0]!.builds.find((b) => b.id === `github:check_suite:${suite.check_suite.id}`);
      assert.ok(build, 'the suite is a build');
      assert.equal(build.conclusion, suite.check_suite.conclusion);

      const release = webhookExamples.find((g) => g.name === 'release')!.examples.find((e) => e.action === 'published')!;
      const payload = structuredClone(release);
      const commit = 'd'.repeat(40);
      const bytes = Buffer.from('the release binary');
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      payload.release.target_commitish = commit;
      payload.release.assets = [
        {
          ...(payload.release.assets[0] ?? {}),
          name: 'shop-linux-amd64',
          digest,
          created_at: '2026-03-02T00:00:00Z',
          updated_at: '2026-03-02T00:00:00Z',
        },
        { name: 'notes.txt', created_at: '2026-03-02T00:00:00Z' },
      ];
      assert.equal((await deliver(t, 'release', payload)).status, 200);
      const artifact = await http(`${t.url}/v1/artifacts/${encodeURIComponent(digest)}`);
      assert.equal(artifact.status, 200, artifact.text);
      assert.equal(artifact.json.artifact.commit, commit);
      assert.equal(artifact.json.artifact.name, 'shop-linux-amd64');
    });

    it('shows who approved the deployment in `lineage blame`', async () => {
      const repo = TestRepo.init('acme/approved');
      repo.write('app.js', ['export const price = 42;']);
      const commit = repo.commit('price');
      for (const payload of [
        deploymentOfRun('acme/approved', 'production', 7001, 903, commit),
        review('acme/approved', 7001, 'production', 'rita', 'approved', 'ok'),
      ])
        assert.equal((await deliver(t, payload.deployment_status ? 'deployment_status' : 'deployment_review', payload)).status, 200);
      const json = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--api', t.url]);
      assert.equal(json.status, 0, json.stderr);
      const env = json.json.lines[0].environments.find((e: any) => e.name === 'production');
      assert.equal(env.live, true);
      assert.deepEqual(env.since.approvedBy, ['rita']);
      assert.deepEqual(json.json.environments.find((e: any) => e.name === 'production').approvedBy, ['rita']);
      const text = await runLineage(repo.dir, ['blame', 'app.js', '--api', t.url]);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /production: .* deployed .*, approved by rita \(deployment /);
    });
  });
}

describe('environment approvals backfilled from GitHub', function () {
  this.timeout(120_000);

  it("sync github reads each run's environment reviews, under the ids the webhook gives them", async () => {
    const repo = TestRepo.init('acme/gated');
    repo.write('app.js', ['export const v = 1;']);
    const commit = repo.commit('v1');
    const gh = await new FakeGitHub({
      owner: 'acme',
      name: 'gated',
      token: 'good-token',
      environments: ['production', 'staging'],
      deployments: [
        // GitHub's reviews come from its OpenAPI example (octocat approving "Ship it!"), given per deployment here.
        {
          id: 31,
          environment: 'production',
          sha: commit,
          createdAt: '2026-05-01T10:00:00Z',
          creator: 'ci-bot',
          state: 'success',
          runId: 777,
          reviews: [{ login: 'rita', state: 'approved', comment: 'Ship it!' }],
        },
        {
          id: 32,
          environment: 'staging',
          sha: commit,
          createdAt: '2026-05-01T09:00:00Z',
          creator: 'ci-bot',
          state: 'success',
          runId: 776,
          reviews: [{ login: 'sam', state: 'rejected', comment: 'not yet' }],
        },
        { id: 33, environment: 'staging', sha: commit, createdAt: '2026-05-01T09:30:00Z', creator: 'ci-bot', state: 'success' },
      ],
      pulls: [],
      alerts: [],
      protection: { production: { reviewers: ['rita', 'team:admins'], waitMinutes: 30 } },
      runs: [
        {
          id: 777,
          sha: commit,
          name: 'Deploy',
          conclusion: 'success',
          updatedAt: '2026-05-01T10:05:00Z',
          // GitHub's artifact example, one with the digest GitHub now gives uploads and one without.
          artifacts: [
            { id: 11, name: 'app-bundle', digest: `sha256:${'c'.repeat(64)}` },
            { id: 12, name: 'logs' },
          ],
        },
      ],
    }).start();
    const t = await startTestService('embedded');
    try {
      const env = { GITHUB_TOKEN: 'good-token' };
      const sync = await runLineage(repo.dir, ['sync', 'github', '--api', t.url, '--github-url', gh.url], undefined, env);
      assert.equal(sync.status, 0, sync.stderr);
      const production = (await t.client.deployments('acme/gated', 'production')).deployments[0]!;
      assert.equal(production.runId, '777');
      assert.deepEqual(
        production.approvals.map((a) => [a.approver, a.state, a.comment]),
        [['rita', 'approved', 'Ship it!']],
      );
      const staging = (await t.client.deployments('acme/gated', 'staging')).deployments;
      assert.deepEqual(
        staging.find((d) => d.id === 'github:acme/gated:32')!.approvals.map((a) => a.state),
        ['rejected'],
      );
      assert.deepEqual(staging.find((d) => d.id === 'github:acme/gated:33')!.approvals, []);
      assert.ok(gh.requests.some((r) => r.path.endsWith('/actions/runs/777/approvals')));
      // The run is a build of its commit, and its digested upload an artifact it built.
      const lineage = await t.client.lineage('acme/gated', [commit]);
      const run = lineage.commits[0]!.builds.find((x) => x.id === 'github:workflow_run:777');
      assert.equal(run?.conclusion, 'success');
      // GitHub's example run: the file without the @ref newer payloads append, and its branch.
      assert.equal(run?.workflow, '.github/workflows/build.yml');
      assert.equal(run?.ref, 'master');
      const artifact = await t.client.artifact(`sha256:${'c'.repeat(64)}`);
      assert.equal(artifact.artifact?.commit, commit);
      assert.equal(artifact.artifact?.buildId, 'github:workflow_run:777');

      // Direct mode reads the same reviews for what runs now (the origin on the API's host, as on Enterprise Server).
      repo.git(['remote', 'set-url', 'origin', `${gh.url}/acme/gated.git`]);
      const direct = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--github-url', gh.url], undefined, env);
      assert.equal(direct.status, 0, direct.stderr);
      assert.deepEqual(
        direct.json.environments.find((e: any) => e.name === 'production')?.approvedBy,
        ['rita'],
        JSON.stringify([direct.json.source, direct.json.notices, direct.json.environments]),
      );
      // And the environment's protection rules (GitHub's example of them, given these reviewers).
      assert.deepEqual(direct.json.environments.find((e: any) => e.name === 'production').protection, {
        reviewers: ['rita', 'team:admins'],
        preventSelfReview: false,
        waitMinutes: 30,
      });
      assert.equal(direct.json.environments.find((e: any) => e.name === 'staging').protection, null);
      const directText = await runLineage(repo.dir, ['blame', 'app.js', '--github-url', gh.url], undefined, env);
      assert.match(directText.stdout, /production: .*approved by rita.*; requires review by rita, team:admins, waits 30 min/);
      const viaService = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--api', t.url]);
      assert.deepEqual(viaService.json.environments.find((e: any) => e.name === 'production').approvedBy, ['rita']);

      // The webhook's delivery of the same review is the same row, not a second approval.
      const review = webhookExample('deployment_review');
      review.repository.full_name = 'acme/gated';
      review.action = 'approved';
      review.workflow_run.id = 777;
      review.approver = { login: 'rita', type: 'User' };
      review.comment = 'Ship it!';
      review.workflow_job_runs = [{ ...review.workflow_job_run, environment: 'production' }];
      const res = await http(`${t.url}/v1/webhooks/github`, {
        body: JSON.stringify(review),
        headers: { 'x-github-event': 'deployment_review' },
      });
      assert.equal(res.status, 200, res.text);
      const after = (await t.client.deployments('acme/gated', 'production')).deployments[0]!;
      assert.equal(after.approvals.length, 1);
      assert.ok(after.approvals[0]!.at, 'the webhook supplies the time the sync could not');
    } finally {
      await t.close();
      await gh.close();
    }
  });
});
