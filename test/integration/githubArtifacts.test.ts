/**
 * Artifacts through GitHub: a deployment whose payload names a digest, the organisation's artifact
 * deployment records of that digest (environments GitHub's deployments do not know), attestation
 * bundles offered only at a signed blob-storage URL (Snappy-compressed, fetched without the
 * token), commit statuses as checks, and answers recorded from api.github.com by
 * @octokit/fixtures (pagination by Link header, a repository, a combined status).
 */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { payloadDigest } from '../../src/core/ingest/values';
import { GitHubClient, GitHubError } from '../../src/core/sources/github/githubClient';
import { GitHubSource } from '../../src/core/sources/github/githubSource';
import { runLineage } from '../helpers/cli';
import { FakeGitHub } from '../helpers/githubServer';
import { TestRepo } from '../helpers/gitRepo';
import { recordedScenario, RecordedGitHub } from '../helpers/recordedGitHub';
import { http, startTestService } from '../helpers/testService';

const L = (n: number) => `export const value${n} = ${n * 7}; // line ${n}`;
const digestA = `sha256:${'a1'.repeat(32)}`;
const digestB = `sha256:${'b2'.repeat(32)}`;

describe('GitHub artifacts: deployment records, bundles by URL, commit statuses', function () {
  this.timeout(120_000);
  let repo: TestRepo;
  let gh: FakeGitHub;
  const c: Record<string, string> = {};
  const env = { GITHUB_TOKEN: 'good-token' };

  before(async () => {
    repo = TestRepo.init('acme/shop');
    repo.write('cart.js', [L(1), L(2), L(3)]);
    c.v1 = repo.commit('v1');
    repo.write('cart.js', [L(1), `${L(2)} // v2`, L(3), L(4)]);
    c.v2 = repo.commit('v2');
    gh = await new FakeGitHub({
      owner: 'acme',
      name: 'shop',
      token: 'good-token',
      environments: ['staging'],
      deployments: [
        {
          id: 21,
          environment: 'staging',
          sha: c.v1,
          createdAt: '2026-05-01T10:00:00Z',
          creator: 'ci-bot',
          state: 'inactive',
          digest: digestA,
        },
        {
          id: 22,
          environment: 'staging',
          sha: c.v2,
          createdAt: '2026-05-02T10:00:00Z',
          creator: 'ci-bot',
          state: 'success',
          digest: digestB,
        },
      ],
      pulls: [],
      alerts: [],
      records: [
        // Promoted to production in Europe by another tool: only the artifact's deployment records know.
        {
          id: 301,
          digest: digestB,
          environment: 'prod-eu',
          physical: 'eu-west',
          cluster: 'k8s-1',
          deploymentName: 'shop-web-app',
          updatedAt: '2026-05-03T08:00:00Z',
        },
        // The environment GitHub's deployments already name: theirs is the word there.
        { id: 302, digest: digestB, environment: 'staging', updatedAt: '2026-05-02T10:05:00Z' },
        { id: 303, digest: digestB, environment: 'canary', updatedAt: '2026-05-02T12:00:00Z', status: 'decommissioned' },
        // Staging has moved on to v2; production in the US still runs v1, promoted there by another tool.
        {
          id: 304,
          digest: digestA,
          environment: 'prod-us',
          cluster: 'k8s-us',
          deploymentName: 'shop-web-app',
          updatedAt: '2026-05-01T12:00:00Z',
        },
      ],
      attestations: [{ digest: digestB, commit: c.v2, byUrl: true }],
      statuses: [
        { id: 501, sha: c.v2, context: 'jenkins/build', state: 'failure' },
        { id: 502, sha: c.v2, context: 'jenkins/lint', state: 'success' },
      ],
    }).start();
    repo.git(['remote', 'set-url', 'origin', `${gh.url}/acme/shop.git`]);
  });
  after(async () => {
    await gh?.close();
    repo?.dispose();
  });

  it('reads the artifact a deployment payload names', () => {
    assert.equal(payloadDigest(JSON.stringify({ image: `ghcr.io/acme/shop@${digestA}` })), digestA);
    assert.equal(payloadDigest({ digest: digestA.toUpperCase().replace('SHA256', 'sha256') }), digestA);
    assert.equal(payloadDigest(`ghcr.io/acme/shop@sha256%3A${'a1'.repeat(32)}`), digestA);
    assert.equal(payloadDigest({ image: `x@${digestA}`, digest: digestA }), digestA, 'the same digest twice is one artifact');
    assert.equal(payloadDigest({ web: digestA, worker: digestB }), null, 'two artifacts name no single one');
    assert.equal(payloadDigest({ digest: `sha256:${'a1'.repeat(33)}` }), null, 'a longer hash is not a sha256 digest');
    assert.equal(payloadDigest(null), null);
    assert.equal(payloadDigest('{}'), null);
  });

  it('blame in direct mode adds the environments only the deployment records know, with the artifact', async () => {
    const before = gh.count();
    const r = await runLineage(repo.dir, ['blame', 'cart.js', '--json', '--github-url', gh.url], undefined, env);
    assert.equal(r.status, 0, r.stderr);
    const paths = gh.requests
      .slice(before)
      .map((x) => decodeURIComponent(x.path))
      .sort();
    const records = (d: string) => `/orgs/acme/artifacts/${d}/metadata/deployment-records`;
    assert.deepEqual(
      paths,
      ['/graphql', '/graphql', records(digestA), records(digestB), '/repos/acme/shop/code-scanning/alerts'].sort(),
      'one records request per artifact GitHub deployed',
    );
    const envOf = (line: any, name: string) => line.environments.find((e: any) => e.name === name);
    const names = r.json.lines[0].environments.map((e: any) => e.name).sort();
    assert.deepEqual(names, ['canary', 'prod-eu', 'prod-us', 'staging']);
    assert.equal(envOf(r.json.lines[0], 'prod-us').live, true, 'v1 runs in prod-us by the record of the artifact staging ran before');
    assert.equal(envOf(r.json.lines[1], 'prod-us').live, false, 'the v2 change has not reached prod-us');
    assert.equal(envOf(r.json.lines[0], 'prod-us').since.artifact, digestA);
    assert.equal(r.json.environments.find((e: any) => e.name === 'prod-us').commit, c.v1);
    const line2 = r.json.lines[1];
    assert.equal(envOf(line2, 'prod-eu').live, true, 'v2 runs in prod-eu by its deployment record');
    assert.equal(envOf(line2, 'prod-eu').since.deploymentId, 'github-record:301');
    assert.equal(envOf(line2, 'prod-eu').since.artifact, digestB);
    assert.equal(envOf(line2, 'staging').since.artifact, digestB, 'the GitHub deployment carries its payload digest');
    assert.equal(envOf(line2, 'canary').live, false, 'a decommissioned record is not live');
  });

  it('an owner without artifact metadata (404) or a token without the permission (403) costs nothing but the records', async () => {
    const saved = gh.data.records;
    try {
      gh.data.records = undefined;
      const none = await runLineage(repo.dir, ['blame', 'cart.js', '--json', '--github-url', gh.url], undefined, env);
      assert.equal(none.status, 0, none.stderr);
      assert.deepEqual(
        none.json.lines[0].environments.map((e: any) => e.name),
        ['staging'],
      );
      gh.data.records = saved;
      gh.forbiddenPath = '/metadata/deployment-records';
      const forbidden = await runLineage(repo.dir, ['blame', 'cart.js', '--json', '--github-url', gh.url], undefined, env);
      assert.equal(forbidden.status, 0, forbidden.stderr);
      assert.deepEqual(
        forbidden.json.lines[0].environments.map((e: any) => e.name),
        ['staging'],
      );
      const client = new GitHubClient({ baseUrl: gh.url, token: 'good-token' });
      await assert.rejects(
        new GitHubSource(client).artifactPlacements('acme/shop', digestB),
        (e: unknown) => GitHubError.is(e, 'forbidden') && /may not read this \(Resource not accessible/.test((e as Error).message),
      );
    } finally {
      gh.data.records = saved;
      gh.forbiddenPath = null;
    }
  });

  it('a repository without code scanning, or a token without access to it, still gets its lineage, with a notice', async () => {
    const cases: [string, 'forbidden' | 'broken' | null, RegExp | null][] = [
      ['/code-scanning/', 'forbidden', /^code-scanning alerts unknown: .*403.*Resource not accessible/],
      ['/code-scanning/', 'broken', /^code-scanning alerts unknown: acme\/shop has no code scanning.*\(404\)/],
      ['/code-scanning/', null, null],
    ];
    for (const [path, how, said] of cases) {
      if (how === 'forbidden') gh.forbiddenPath = path;
      if (how === 'broken') gh.brokenPath = path;
      try {
        const r = await runLineage(repo.dir, ['blame', 'cart.js', '--json', '--github-url', gh.url], undefined, env);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.json.source, 'github', r.stderr);
        const line2 = r.json.lines[1].environments;
        assert.equal(line2.find((e: any) => e.name === 'staging').live, true);
        assert.equal(line2.find((e: any) => e.name === 'prod-eu').live, true);
        if (said) {
          assert.ok(
            r.json.notices.some((n: string) => said.test(n)),
            JSON.stringify(r.json.notices),
          );
          assert.match(r.json.findingsUnknown, said, 'said apart as well, for the views: findings unknown, not none');
        } else {
          assert.ok(!r.json.notices.some((n: string) => /code-scanning/.test(n)), JSON.stringify(r.json.notices));
          assert.equal(r.json.findingsUnknown, undefined);
        }
      } finally {
        gh.forbiddenPath = null;
        gh.brokenPath = null;
      }
    }
  });

  it('an Enterprise Server without newer GraphQL fields: what runs where still, the rest unknown and said', async () => {
    gh.olderSchema = ['Deployment.payload', 'Repository.environments'];
    try {
      const before = gh.count((r) => r.path === '/graphql');
      const r = await runLineage(repo.dir, ['blame', 'cart.js', '--json', '--github-url', gh.url], undefined, env);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.json.source, 'github');
      const staging = r.json.environments.find((e: any) => e.name === 'staging');
      assert.equal(staging.commit, c.v2, 'the live deployment is still read');
      assert.equal(staging.artifact, null, 'no payload, no artifact: unknown, not guessed');
      assert.equal(
        r.json.environments.some((e: any) => e.name === 'prod-eu'),
        false,
        'records are read by the artifact, which is unknown',
      );
      assert.equal(r.json.lines[1].environments.find((e: any) => e.name === 'staging').live, true);
      for (const field of ['Deployment.payload', 'Repository.environments']) {
        assert.ok(
          r.json.notices.some((n: string) => n.includes(`does not know ${field}`)),
          JSON.stringify(r.json.notices),
        );
      }
      // The refused query once, the reduced one once, the pull requests once.
      assert.equal(gh.count((x) => x.path === '/graphql') - before, 3);

      gh.olderSchema = ['Commit.associatedPullRequests'];
      const broken = await runLineage(repo.dir, ['blame', 'cart.js', '--json', '--github-url', gh.url], undefined, env);
      assert.equal(broken.status, 0, broken.stderr);
      assert.equal(broken.json.source, 'none', 'a field the lineage cannot do without: git only, and why');
      assert.match(broken.stderr, /does not know Commit\.associatedPullRequests/);
    } finally {
      gh.olderSchema = [];
    }
  });

  it('trace: the commit from a bundle offered only at its URL, fetched without the token, and where the artifact runs', async () => {
    const blobsBefore = gh.blobRequests.length;
    const alert = { alert: 'HighErrorRate', image: `ghcr.io/acme/shop@${digestB}`, stack: 'Error: boom\n    at total (/srv/cart.js:2:9)' };
    const r = await runLineage(repo.dir, ['trace', '-', '--json', '--github-url', gh.url], JSON.stringify(alert), env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.revision.sha, c.v2);
    assert.match(r.json.revision.how, /built from [0-9a-f]{12} \(its GitHub attestation\)/);
    const blobs = gh.blobRequests.slice(blobsBefore);
    assert.equal(blobs.length, 1);
    assert.equal(blobs[0]!.authorization, null, 'the token never goes to blob storage');
    assert.equal(r.json.artifact.digest, digestB);
    assert.equal(r.json.artifact.commit, c.v2);
    const prod = r.json.artifact.runsIn.find((p: any) => p.environment === 'prod-eu');
    assert.deepEqual([prod.physicalEnvironment, prod.cluster, prod.deploymentName, prod.live], ['eu-west', 'k8s-1', 'shop-web-app', true]);
    assert.equal(r.json.artifact.runsIn.find((p: any) => p.environment === 'canary').live, false);
    const text = await runLineage(repo.dir, ['trace', '-', '--github-url', gh.url], JSON.stringify(alert), env);
    assert.match(
      text.stdout,
      /artifact sha256:b2b2b2b2b2b2…: built from [0-9a-f]{12}; runs in prod-eu\/eu-west\/k8s-1 since 2026-05-03T08:00:00Z/,
    );
  });

  it('trace: a bundle that is not Snappy JSON is reported; the one environment the artifact runs in gives the revision', async () => {
    const saved = gh.data.records!;
    gh.corruptBlobs = true;
    // Its records say it runs in prod-eu alone (canary was taken down).
    gh.data.records = saved.filter((r) => r.environment !== 'staging');
    try {
      const r = await runLineage(
        repo.dir,
        ['trace', '-', '--json', '--github-url', gh.url],
        JSON.stringify({ image: `ghcr.io/acme/shop@${digestB}`, stack: 'Error: boom\n    at total (/srv/cart.js:2:9)' }),
        env,
      );
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.ok(
        r.json.tried.some((t: string) => /not Snappy-compressed JSON/.test(t)),
        JSON.stringify(r.json.tried),
      );
      assert.equal(r.json.revision.sha, c.v2);
      assert.match(r.json.revision.how, /running in prod-eu since deployment github-record:301/);
      // Two live places and no production among them: production, as without an artifact.
      gh.data.records = saved;
      const two = await runLineage(
        repo.dir,
        ['trace', '-', '--json', '--github-url', gh.url],
        JSON.stringify({ image: `ghcr.io/acme/shop@${digestB}`, stack: 'Error: boom\n    at total (/srv/cart.js:2:9)' }),
        env,
      );
      assert.ok(
        two.json.tried.some((t: string) => /production: the github source knows no deployment/.test(t)),
        JSON.stringify(two.json.tried),
      );
    } finally {
      gh.corruptBlobs = false;
      gh.data.records = saved;
    }
  });

  it('refuses a bundle URL that is not https when the API is https', async () => {
    const client = new GitHubClient({ baseUrl: 'https://api.github.com', token: 'x' });
    await assert.rejects(client.blob('http://blob.example/attestations/1.json.sn'), /only https is fetched/);
    await assert.rejects(client.blob('file:///etc/passwd'), /only https is fetched/);
  });

  it('check: commit statuses count as checks next to check runs', async () => {
    const r = await runLineage(repo.dir, ['check', '--base', c.v1!, '--head', c.v2!, '--json', '--github-url', gh.url], undefined, env);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const checks = r.json.violations
      .filter((v: any) => v.rule === 'blocking-check')
      .map((v: any) => [v.evidence.check, v.evidence.conclusion]);
    assert.deepEqual(checks, [['jenkins/build', 'failure']]);
  });

  it('sync github writes payload digests and deployment records to the service', async () => {
    const t = await startTestService('embedded');
    try {
      const r = await runLineage(repo.dir, ['sync', 'github', '--api', t.url, '--github-url', gh.url], undefined, env);
      assert.equal(r.status, 0, r.stderr);
      const prod = await t.client.deployments('acme/shop', 'prod-eu', { limit: 10 });
      assert.deepEqual(
        prod.deployments.map((d) => [d.id, d.commit, d.artifact, d.service]),
        [['github-record:301', c.v2, digestB, 'shop-web-app']],
      );
      const staging = await t.client.deployments('acme/shop', 'staging', { limit: 10 });
      assert.ok(
        staging.deployments.some((d) => d.commit === c.v2 && d.artifact === digestB),
        'the GitHub deployment carries its payload digest',
      );
      const again = await runLineage(repo.dir, ['sync', 'github', '--api', t.url, '--github-url', gh.url], undefined, env);
      assert.match(again.stdout, /, 0 new/);
      assert.doesNotMatch(again.stderr, /left out/);
      // What the token may not read is left out and said; the rest is still written.
      gh.forbiddenPath = '/code-scanning/';
      try {
        const partial = await runLineage(repo.dir, ['sync', 'github', '--api', t.url, '--github-url', gh.url], undefined, env);
        assert.equal(partial.status, 0, partial.stderr);
        assert.match(partial.stderr, /notice: left out code-scanning alerts: .*403/);
        assert.match(partial.stdout, /, 0 new/);
      } finally {
        gh.forbiddenPath = null;
      }
      // A webhook delivery reads the payload the same way.
      const res = await http(`${t.url}/v1/webhooks/github`, {
        body: JSON.stringify({
          deployment: {
            id: 99,
            sha: c.v1,
            environment: 'qa',
            created_at: '2026-05-04T10:00:00Z',
            creator: { login: 'ci-bot' },
            task: 'deploy',
            payload: { image: `ghcr.io/acme/shop@${digestA}` },
          },
          repository: { full_name: 'acme/shop' },
        }),
        headers: { 'x-github-event': 'deployment', 'x-github-delivery': 'payload-digest-1' },
      });
      assert.equal(res.status, 200, res.text);
      const qa = await t.client.deployments('acme/shop', 'qa', { limit: 10 });
      assert.equal(qa.deployments[0]!.artifact, digestA);
    } finally {
      await t.close();
    }
  });

  it('doctor says whether the token can read the repository, on the answer GitHub recorded', async () => {
    const ok = await runLineage(repo.dir, ['doctor', '--json', '--github-url', gh.url], undefined, env);
    const check = ok.json.checks.find((x: any) => x.name === 'github repository');
    assert.equal(check.ok, true, JSON.stringify(ok.json));
    assert.match(check.detail, /^acme\/shop: private, default branch \S+, token access read$/);
    repo.git(['remote', 'set-url', 'origin', `${gh.url}/acme/hidden.git`]);
    try {
      const hidden = await runLineage(repo.dir, ['doctor', '--github-url', gh.url], undefined, env);
      assert.equal(hidden.status, 1);
      assert.match(hidden.stdout, /✘ github repository: .*404[\s\S]*fix: give the token access to acme\/hidden/);
    } finally {
      repo.git(['remote', 'set-url', 'origin', `${gh.url}/acme/shop.git`]);
    }
  });
});

describe('answers recorded from api.github.com (@octokit/fixtures)', () => {
  const Issue = z.object({ number: z.number() });

  it('follows the Link header to the last page, as recorded', async () => {
    const recorded = recordedScenario('paginate-issues');
    const server = await new RecordedGitHub(recorded).start();
    try {
      const client = new GitHubClient({ baseUrl: server.url, token: '0000000000000000000000000000000000000001' });
      const issues = await client.list(
        '/repos/{owner}/{repo}/issues',
        { owner: 'octokit-fixture-org', repo: 'paginate-issues', per_page: 3 },
        Issue,
      );
      const expected = recorded.flatMap((x) => (x.response as { number: number }[]).map((i) => i.number));
      assert.deepEqual(
        issues.map((i) => i.number),
        expected,
      );
      assert.equal(server.requests.length, recorded.length, 'one request per recorded page');
      assert.deepEqual(
        server.requests.map((r) => r.path),
        recorded.map((x) => x.path),
        'the next pages are the URLs GitHub linked',
      );
      assert.ok(server.requests.every((r) => r.authorization === 'token 0000000000000000000000000000000000000001'));
    } finally {
      await server.close();
    }
  });

  it('does not follow a next link to another host with the token', async () => {
    const recorded = recordedScenario('paginate-issues').map((x, i) =>
      i === 0 ? { ...x, headers: { ...x.headers, link: '<https://elsewhere.example/issues?page=2>; rel="next"' } } : x,
    );
    const server = await new RecordedGitHub(recorded).start();
    try {
      const client = new GitHubClient({ baseUrl: server.url, token: 't' });
      await assert.rejects(
        client.list('/repos/{owner}/{repo}/issues', { owner: 'octokit-fixture-org', repo: 'paginate-issues', per_page: 3 }, Issue),
        (e: unknown) => GitHubError.is(e, 'invalidResponse') && /another host \(elsewhere\.example\)/.test((e as Error).message),
      );
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  it('reads a recorded combined commit status as checks', async () => {
    const recorded = recordedScenario('create-status');
    const status = recorded.find((x) => x.method === 'get' && x.path.endsWith('/status'))!;
    const sha = status.path.split('/')[5]!;
    // Only the combined status was recorded; the same commit's check runs answer as GitHub does for none.
    const server = await new RecordedGitHub([
      // Asked for with per_page=100, which the recording left at GitHub's default.
      { ...status, path: `${status.path}?per_page=100` },
      {
        ...status,
        path: `/repos/octokit-fixture-org/create-status/commits/${sha}/check-runs?per_page=100`,
        response: { total_count: 0, check_runs: [] },
      },
    ]).start();
    try {
      const source = new GitHubSource(new GitHubClient({ baseUrl: server.url, token: 't' }));
      const builds = await source.builds('octokit-fixture-org/create-status', sha);
      assert.deepEqual(
        builds.map((b) => [b.name, b.status, b.conclusion]),
        (status.response as { statuses: { context: string; state: string }[] }).statuses.map((s) => [s.context, 'completed', s.state]),
      );
    } finally {
      await server.close();
    }
  });
});
