/**
 * GitHub as the source (direct mode) against a local server that answers like GitHub, on a real
 * repository whose commits match the served deployments and reviews: line liveness and stale
 * approvals as with the service, GraphQL batching (requests counted), ETag reuse, throttling after
 * a secondary rate limit, and a revoked token.
 */
import assert from 'node:assert/strict';
import { GitHubClient, GitHubError } from '../../src/core/sources/github/githubClient';
import { GitHubSource } from '../../src/core/sources/github/githubSource';
import { Repository } from '../../src/core/git/repository';
import { fileLineage } from '../../src/core/lineage/fileLineage';
import { chooseSource, SourcePool } from '../../src/core/sources/sourceChoice';
import { runLineage } from '../helpers/cli';
import { http, startTestService } from '../helpers/testService';
import { TestRepo } from '../helpers/gitRepo';
import { FakeGitHub } from '../helpers/githubServer';
import { z } from 'zod';

const L = (n: number) => `export const line${n} = ${n * 3}; // distinct line ${n}`;

describe('GitHub as the source', function () {
  this.timeout(120_000);
  let repo: TestRepo;
  let gh: FakeGitHub;
  const c: Record<string, string> = {};

  before(async () => {
    repo = TestRepo.init('acme/gh');
    repo.write('app.js', [L(1), L(2), L(3), L(4)]);
    c.first = repo.commit('first');
    repo.git(['checkout', '-q', '-b', 'feature']);
    repo.write('app.js', [L(1), L(2), `${L(3)} // changed`, L(4), L(5)]);
    c.change = repo.commit('change line 3, add line 5');
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', 'Merge pull request #7', 'feature']);
    c.merge = repo.head();
    gh = await new FakeGitHub({
      owner: 'acme',
      name: 'gh',
      token: 'good-token',
      environments: ['production', 'staging'],
      deployments: [
        { id: 11, environment: 'production', sha: c.first, createdAt: '2026-03-02T10:00:00Z', creator: 'release-bot', state: 'success' },
        { id: 12, environment: 'staging', sha: c.merge, createdAt: '2026-03-03T10:00:00Z', creator: 'ci-bot', state: 'success' },
        // A later production deployment that failed is history, not what runs.
        { id: 13, environment: 'production', sha: c.merge, createdAt: '2026-03-04T10:00:00Z', creator: 'release-bot', state: 'failure' },
      ],
      pulls: [
        {
          number: 7,
          title: 'Change line 3',
          author: 'bob',
          state: 'MERGED',
          headSha: c.change,
          headRef: 'feature',
          mergeCommit: c.merge,
          mergedAt: '2026-03-02T12:00:00Z',
          commits: [c.change],
          reviews: [
            { id: 1, user: 'alice', state: 'APPROVED', commit: c.first, submittedAt: '2026-03-02T11:00:00Z' },
            { id: 2, user: 'carol', state: 'APPROVED', commit: c.change, submittedAt: '2026-03-02T11:30:00Z' },
          ],
        },
      ],
      attestations: [{ digest: `sha256:${'e1'.repeat(32)}`, commit: c.first }],
      checks: [{ id: 901, sha: c.change, name: 'ci/test', conclusion: 'failure' }],
      alerts: [
        {
          number: 3,
          path: 'app.js',
          line: 4,
          commit: c.first,
          rule: 'js/unsafe',
          severity: 'error',
          description: 'Unsafe thing on line 4',
        },
      ],
    }).start();
    // The origin lives on the host the API is served from, as with GitHub Enterprise Server.
    repo.git(['remote', 'set-url', 'origin', `${gh.url}/acme/gh.git`]);
  });
  after(async () => {
    await gh?.close();
    repo?.dispose();
  });

  const blame = (token: string, extra: string[] = []) =>
    runLineage(repo.dir, ['blame', 'app.js', '--json', '--github-url', gh.url, ...extra], undefined, { GITHUB_TOKEN: token });

  it('reads deployments, reviews and alerts from GitHub when no service is set, in three requests', async () => {
    const before = gh.count();
    const r = await blame('good-token');
    assert.equal(r.status, 0, r.stderr);
    const made = gh.requests.slice(before);
    assert.equal(made.length, 3, JSON.stringify(made));
    assert.deepEqual(made.map((m) => m.path).sort(), ['/graphql', '/graphql', '/repos/acme/gh/code-scanning/alerts']);
    const env = (l: any, name: string) => l.environments.find((e: any) => e.name === name);
    assert.deepEqual(
      r.json.lines.map((l: any) => env(l, 'production').live),
      [true, true, false, true, false],
      'the failed production deployment is not what runs',
    );
    assert.deepEqual(
      r.json.lines.map((l: any) => env(l, 'staging').live),
      [true, true, true, true, true],
    );
    assert.equal(env(r.json.lines[0], 'production').since.deploymentId, '11');
    const line3 = r.json.lines[2];
    assert.equal(line3.pullRequest.number, 7);
    const byReviewer = Object.fromEntries(line3.approvals.map((a: any) => [a.reviewer, a.stale]));
    assert.deepEqual(byReviewer, { alice: true, carol: false });
    assert.deepEqual(
      r.json.lines[3].findings.map((f: any) => f.title),
      ['Unsafe thing on line 4'],
    );
  });

  it('talks to an Enterprise Server layout: REST under /api/v3, GraphQL at /api/graphql', async () => {
    const ghe = await new FakeGitHub(gh.data, 'enterprise').start();
    try {
      const r = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--github-url', ghe.apiUrl], undefined, {
        GITHUB_TOKEN: 'good-token',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.json.source, 'github');
      assert.deepEqual(
        r.json.lines.map((l: any) => l.environments.find((e: any) => e.name === 'production').live),
        [true, true, false, true, false],
      );
      assert.equal(r.json.lines[2].pullRequest.number, 7);
      const doctor = await runLineage(repo.dir, ['doctor', '--json', '--github-url', ghe.apiUrl], undefined, {
        GITHUB_TOKEN: 'good-token',
      });
      assert.equal(doctor.status, 0, doctor.stdout);
      assert.equal(
        ghe.count((x) => x.path === '/not-the-api'),
        0,
        JSON.stringify(ghe.requests),
      );
      assert.ok(ghe.count((x) => x.path === '/graphql') >= 2);
    } finally {
      await ghe.close();
    }
  });

  it('asks GraphQL once per hundred commits and reuses ETags on repeat REST reads', async () => {
    const client = new GitHubClient({ baseUrl: gh.url, token: 'good-token' });
    const source = new GitHubSource(client);
    const shas = Array.from({ length: 250 }, (_, i) => i.toString(16).padStart(40, 'a'));
    await source.lineage('acme/gh', [...shas, c.change!]);
    assert.equal(client.requests, 1 + 3, 'one deployments query and three commit batches');
    await source.lineage('acme/gh', [c.change!]);
    assert.equal(client.requests, 4, 'a warm cache makes no request');
    const Alert = z.object({ number: z.number() });
    const first = await client.list('/repos/{owner}/{repo}/code-scanning/alerts', { owner: 'acme', repo: 'gh' }, Alert);
    const before = gh.count((r) => r.status === 304);
    const second = await client.list('/repos/{owner}/{repo}/code-scanning/alerts', { owner: 'acme', repo: 'gh' }, Alert);
    assert.deepEqual(second, first);
    assert.equal(
      gh.count((r) => r.status === 304),
      before + 1,
      'the repeat read was a 304',
    );
  });

  it('a long-lived caller keeps one source per GitHub and token, so the next file costs nothing', async () => {
    const pool = new SourcePool();
    const git = await Repository.open(repo.dir);
    const choose = (token: string) =>
      chooseSource({ setting: 'github', repo: git, githubUrl: gh.url, githubToken: async () => token }, pool);
    const first = await choose('good-token');
    const before = gh.count();
    await fileLineage({ repo: git, path: 'app.js', slug: 'acme/gh', source: first.source });
    assert.equal(gh.count() - before, 3, 'cold: deployments, pull requests, alerts');
    const second = await choose('good-token');
    assert.equal(second.source, first.source);
    const warm = await fileLineage({ repo: git, path: 'app.js', slug: 'acme/gh', source: second.source });
    assert.equal(gh.count() - before, 3, 'warm: no request');
    assert.equal(warm.lines[2]!.pullRequest?.number, 7);
    const other = await choose('another-token');
    assert.notEqual(other.source, first.source, 'another token reads afresh, nothing served from the first');
  });

  it('waits out a secondary rate limit and carries on', async () => {
    gh.secondaryLimits = 1;
    const client = new GitHubClient({ baseUrl: gh.url, token: 'good-token' });
    const sent = gh.count();
    const started = Date.now();
    const envs = await new GitHubSource(client).environments('acme/gh');
    assert.deepEqual(
      envs.map((e) => [e.name, e.deployment?.id]),
      [
        ['production', '11'],
        ['staging', '12'],
      ],
    );
    assert.ok(Date.now() - started >= 900, 'Retry-After was honoured');
    assert.deepEqual(
      gh.requests.slice(sent).map((r) => r.status),
      [403, 200],
    );
  });

  it('waits for the primary rate limit to reset, and gives up with a clear message when told to stop', async () => {
    gh.primaryLimits = 1;
    const client = new GitHubClient({ baseUrl: gh.url, token: 'good-token' });
    const sent = gh.count();
    const alerts = await client.list(
      '/repos/{owner}/{repo}/code-scanning/alerts',
      { owner: 'acme', repo: 'gh' },
      z.object({ number: z.number() }),
    );
    assert.equal(alerts.length, 1);
    assert.deepEqual(
      gh.requests.slice(sent).map((r) => r.status),
      [403, 200],
    );
    gh.primaryLimits = 5;
    const impatient = new GitHubClient({ baseUrl: gh.url, token: 'good-token', rateLimitRetries: 0 });
    await assert.rejects(
      impatient.list('/repos/{owner}/{repo}/code-scanning/alerts', { owner: 'acme', repo: 'gh' }, z.unknown()),
      (e: unknown) => GitHubError.is(e, 'rateLimited'),
    );
    gh.primaryLimits = 0;
  });

  it('says a revoked token is refused, in one line, and caches nothing under it', async () => {
    const r = await blame('revoked-token');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^lineage: 127\.0\.0\.1:\d+ refused the token \(401\)/);
    const client = new GitHubClient({ baseUrl: gh.url, token: 'revoked-token' });
    await assert.rejects(
      client.list('/repos/{owner}/{repo}/code-scanning/alerts', { owner: 'acme', repo: 'gh' }, z.unknown()),
      (e: unknown) => GitHubError.is(e, 'unauthorized'),
    );
  });

  it("lineage doctor names the source, the token's origin and the rate limit left, and how to fix a refused token", async () => {
    const ok = await runLineage(repo.dir, ['doctor', '--json', '--github-url', gh.url], undefined, { GITHUB_TOKEN: 'good-token' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const byName = Object.fromEntries(ok.json.checks.map((c: any) => [c.name, c]));
    assert.match(byName.source.detail, /^github: GitHub at 127\.0\.0\.1/);
    assert.match(byName['github token'].detail, /from GITHUB_TOKEN/);
    assert.doesNotMatch(ok.stdout, /good-token/, 'the token itself is never printed');
    assert.match(byName.github.detail, /rate limit \d+\/5000 left/);
    assert.equal(byName['github data'].detail, '2 environment(s), deployed: production, staging; code-scanning alerts readable');
    gh.olderSchema = ['Deployment.task'];
    gh.forbiddenPath = '/code-scanning/';
    try {
      const partial = await runLineage(repo.dir, ['doctor', '--json', '--github-url', gh.url], undefined, { GITHUB_TOKEN: 'good-token' });
      assert.equal(partial.status, 0, 'what GitHub cannot say is reported, not a failure');
      const data = partial.json.checks.find((c: any) => c.name === 'github data');
      assert.match(data.detail, /^2 environment\(s\), deployed: production, staging; /);
      assert.match(data.detail, /does not know Deployment\.task \(an older Enterprise Server\?\): every deployment counts as a deploy/);
      assert.match(data.detail, /code-scanning alerts unknown: .*403/);
    } finally {
      gh.olderSchema = [];
      gh.forbiddenPath = null;
    }
    const refused = await runLineage(repo.dir, ['doctor', '--github-url', gh.url], undefined, { GITHUB_TOKEN: 'revoked-token' });
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /✘ github: .*refused the token[\s\S]*fix: refresh the token/);
  });

  it('backfills the service from GitHub: idempotent, resumable, the same lineage as direct mode', async () => {
    const t = await startTestService('embedded');
    try {
      const env = { GITHUB_TOKEN: 'good-token' };
      const sync = () => runLineage(repo.dir, ['sync', 'github', '--api', t.url, '--github-url', gh.url], undefined, env);
      // Interrupted while reading pull requests: deployments are in, the rest follows on the next run.
      gh.brokenPath = '/pulls';
      const broken = await sync();
      assert.equal(broken.status, 2);
      assert.match(broken.stderr, /run it again to continue where it stopped/);
      gh.brokenPath = null;
      const resumed = await sync();
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stdout, /^synced acme\/gh \(resumed\): \d+ events sent, \d+ new/);
      const again = await sync();
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /: \d+ events sent, 0 new/, 'a second run stores nothing');
      const viaService = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--api', t.url]);
      const direct = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--github-url', gh.url], undefined, env);
      const summary = (j: any) =>
        j.lines.map((l: any) => [
          l.environments
            .map((e: any) => `${e.name}:${e.live}`)
            .sort()
            .join(','),
          l.pullRequest?.number ?? null,
          l.approvals
            .map((a: any) => `${a.reviewer}:${a.stale}`)
            .sort()
            .join(','),
          l.findings.length,
        ]);
      assert.deepEqual(summary(viaService.json), summary(direct.json));
    } finally {
      await t.close();
    }
  });

  it('a backfill after the webhooks delivered part of the history adds no second copy of anything', async () => {
    const t = await startTestService('embedded');
    try {
      const deliver = async (event: string, delivery: string, body: object) => {
        const res = await http(`${t.url}/v1/webhooks/github`, {
          body: JSON.stringify({ ...body, repository: { full_name: 'acme/gh' } }),
          headers: { 'x-github-event': event, 'x-github-delivery': delivery },
        });
        assert.equal(res.status, 200, res.text);
      };
      // What GitHub's webhooks said of deployment 11, carol's review, alert 3 and check run 901.
      await deliver('deployment_status', 'd-11', {
        deployment: {
          id: 11,
          sha: c.first,
          environment: 'production',
          created_at: '2026-03-02T10:00:00Z',
          creator: { login: 'release-bot' },
          task: 'deploy',
          payload: {},
        },
        deployment_status: { id: 1101, state: 'success', created_at: '2026-03-02T10:00:00Z' },
      });
      await deliver('pull_request_review', 'r-2', {
        review: { id: 2, user: { login: 'carol' }, state: 'approved', commit_id: c.change, submitted_at: '2026-03-02T11:30:00Z' },
        pull_request: {
          number: 7,
          title: 'Change line 3',
          state: 'closed',
          merged_at: '2026-03-02T12:00:00Z',
          merge_commit_sha: c.merge,
          head: { sha: c.change, ref: 'feature' },
          base: { ref: 'main' },
          user: { login: 'bob' },
          updated_at: '2026-03-02T12:00:00Z',
        },
      });
      await deliver('code_scanning_alert', 'a-3', {
        alert: {
          number: 3,
          state: 'open',
          created_at: '2026-03-02T09:00:00Z',
          rule: { id: 'js/unsafe', severity: 'error', description: 'Unsafe thing on line 4' },
          most_recent_instance: { commit_sha: c.first, location: { path: 'app.js', start_line: 4, end_line: 4 } },
        },
      });
      await deliver('check_run', 'k-901', {
        check_run: {
          id: 901,
          name: 'ci/test',
          head_sha: c.change,
          status: 'completed',
          conclusion: 'failure',
          started_at: '2026-03-02T11:00:00Z',
          completed_at: '2026-03-02T11:10:00Z',
        },
      });
      const sync = await runLineage(repo.dir, ['sync', 'github', '--api', t.url, '--github-url', gh.url], undefined, {
        GITHUB_TOKEN: 'good-token',
      });
      assert.equal(sync.status, 0, sync.stderr);
      const production = (await t.client.deployments('acme/gh', 'production', { limit: 50 })).deployments;
      assert.deepEqual(production.map((d) => d.commit).sort(), [c.first, c.merge].sort(), 'deployments 11 and 13, once each');
      const lineage = await t.client.lineage('acme/gh', [c.change!]);
      const pr = lineage.commits[0]!.pullRequests.find((p) => p.number === 7)!;
      assert.deepEqual(pr.reviews.map((r) => r.reviewer).sort(), ['alice', 'carol'], "carol's review once");
      const findings = (await t.client.findings('acme/gh', { path: 'app.js', status: 'open' })).findings;
      assert.equal(findings.length, 1, JSON.stringify(findings.map((f) => f.id)));
      const builds = lineage.commits[0]!.builds.filter((b) => b.name === 'ci/test');
      assert.equal(builds.length, 1, 'the check run once, and the backfill brought it');
      // The alert's page on GitHub names the same finding in the service.
      const traced = await runLineage(
        repo.dir,
        ['trace', '-', '--json', '--api', t.url],
        'https://github.com/acme/gh/security/code-scanning/3',
      );
      assert.equal(traced.status, 0, traced.stderr);
      assert.deepEqual([traced.json.candidates[0].path, traced.json.candidates[0].line], ['app.js', 4]);
    } finally {
      await t.close();
    }
  });

  it('lineage check reads the pull request, reviews and check runs from GitHub', async () => {
    const r = await runLineage(repo.dir, ['check', '--base', c.first!, '--head', c.change!, '--json', '--github-url', gh.url], undefined, {
      GITHUB_TOKEN: 'good-token',
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.equal(r.json.pullRequest.number, 7);
    const stale = r.json.violations.filter((v: any) => v.rule === 'stale-approval').map((v: any) => v.evidence.reviewer);
    assert.deepEqual(stale, ['alice']);
    const check = r.json.violations.find((v: any) => v.rule === 'blocking-check');
    assert.deepEqual([check.evidence.check, check.evidence.conclusion, check.severity], ['ci/test', 'failure', 'informational']);
  });

  it('lineage trace takes the revision that runs in production from GitHub', async () => {
    const r = await runLineage(repo.dir, ['trace', '-', '--json', '--github-url', gh.url], 'Error: boom\n    at render (/app/app.js:3:7)', {
      GITHUB_TOKEN: 'good-token',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.revision.sha, c.first);
    assert.match(r.json.revision.how, /running in production since deployment 11/);
    assert.equal(r.json.candidates[0].path, 'app.js');
    assert.equal(r.json.candidates[0].line, 3, 'line 3 of production has been changed since: the line it became');
    assert.deepEqual(r.json.candidates[0].changed, { how: 'edited', commit: c.change }, 'the commit that changed it, not the merge');
  });

  it('lineage trace takes a pasted code-scanning alert link and asks GitHub for the alert', async () => {
    const env = { GITHUB_TOKEN: 'good-token' };
    const r = await runLineage(
      repo.dir,
      ['trace', '-', '--json', '--github-url', gh.url],
      'https://github.com/acme/gh/security/code-scanning/3',
      env,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([r.json.candidates[0].path, r.json.candidates[0].line], ['app.js', 4]);
    assert.equal(r.json.revision.sha, c.first, 'the revision the alert was found on');
    assert.ok(
      r.json.tried.some((t: string) => /finding github:acme\/gh:code-scanning:3 from GitHub: 1 location/.test(t)),
      r.json.tried.join('\n'),
    );
    const missing = await runLineage(
      repo.dir,
      ['trace', '-', '--json', '--github-url', gh.url],
      'https://github.com/acme/gh/security/code-scanning/99',
      env,
    );
    assert.equal(missing.status, 1);
    assert.ok(
      missing.json.tried.some((t: string) => /code-scanning:99: GitHub has none by that id/.test(t)),
      missing.json.tried.join('\n'),
    );
  });

  it('lineage trace finds the commit of an artifact digest through its GitHub attestation', async () => {
    const alert = {
      alert: 'CrashLoop',
      artifact: `ghcr.io/acme/gh@sha256:${'e1'.repeat(32)}`,
      stack: 'Error: boom\n    at render (/app/app.js:2:7)\n    at main (/app/app.js:4:1)',
    };
    const r = await runLineage(repo.dir, ['trace', '-', '--json', '--github-url', gh.url], JSON.stringify(alert), {
      GITHUB_TOKEN: 'good-token',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.revision.sha, c.first);
    assert.match(r.json.revision.how, /was built from [0-9a-f]{12} \(its GitHub attestation\)/, JSON.stringify(r.json.tried));
    assert.deepEqual([r.json.candidates[0].path, r.json.candidates[0].line], ['app.js', 2]);
  });

  it('falls back to git only without a token, and --source picks explicitly', async () => {
    const none = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--github-url', gh.url]);
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.json.source, 'git');
    const forced = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--source', 'github', '--github-url', gh.url]);
    assert.equal(forced.status, 2);
    assert.match(forced.stderr, /no GitHub token/);
    const bad = await runLineage(repo.dir, ['blame', 'app.js', '--source', 'carrier-pigeon']);
    assert.equal(bad.status, 2);
  });
});
