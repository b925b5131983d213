/**
 * A repository that deploys to dev on every push: GitHub's hundred most recent deployments are all
 * dev's, and what runs in production is older than that. Production still comes out right, for
 * one more query, and only when the window was full.
 */
import assert from 'node:assert/strict';
import { GitHubClient } from '../../src/core/sources/github/githubClient';
import { GitHubSource } from '../../src/core/sources/github/githubSource';
import { runLineage } from '../helpers/cli';
import { FakeGitHub, type FakeDeployment } from '../helpers/githubServer';
import { TestRepo } from '../helpers/gitRepo';

const L = (n: number) => `export const busy${n} = ${n * 5}; // line ${n}`;

describe('GitHub as the source, a busy repository', function () {
  this.timeout(120_000);
  let repo: TestRepo;
  let gh: FakeGitHub;
  const c: Record<string, string> = {};

  before(async () => {
    repo = TestRepo.init('acme/busy');
    repo.write('svc.js', [L(1), L(2), L(3)]);
    c.v1 = repo.commit('v1');
    repo.write('svc.js', [L(1), `${L(2)} // v2`, L(3)]);
    c.v2 = repo.commit('v2');
    const at = (minutes: number) => new Date(Date.parse('2026-06-01T00:00:00Z') + minutes * 60_000).toISOString();
    const dev: FakeDeployment[] = Array.from({ length: 130 }, (_, i) => ({
      id: 1000 + i,
      environment: 'dev',
      sha: c.v2!,
      createdAt: at(100 + i),
      creator: 'ci-bot',
      state: i === 129 ? 'success' : 'inactive',
    }));
    gh = await new FakeGitHub({
      owner: 'acme',
      name: 'busy',
      token: 't',
      environments: ['dev', 'production', 'qa'],
      deployments: [
        { id: 1, environment: 'production', sha: c.v1, createdAt: at(0), creator: 'release-bot', state: 'success' },
        { id: 2, environment: 'production', sha: c.v2, createdAt: at(10), creator: 'release-bot', state: 'failure' },
        ...dev,
      ],
      pulls: [],
      alerts: [],
    }).start();
    repo.git(['remote', 'set-url', 'origin', `${gh.url}/acme/busy.git`]);
  });
  after(async () => {
    await gh?.close();
    repo?.dispose();
  });

  it('finds what runs in production behind a hundred dev deployments, in one more query', async () => {
    const before = gh.count((r) => r.path === '/graphql');
    const r = await runLineage(repo.dir, ['blame', 'svc.js', '--json', '--github-url', gh.url], undefined, { GITHUB_TOKEN: 't' });
    assert.equal(r.status, 0, r.stderr);
    const envs = Object.fromEntries(r.json.environments.map((e: any) => [e.name, e]));
    assert.equal(envs.production.commit, c.v1, 'the failed deployment of v2 is history; v1 runs');
    assert.equal(envs.production.deploymentId, '1');
    assert.equal(envs.dev.commit, c.v2);
    assert.equal(envs.qa.deploymentId, null, 'qa: nothing deployed, not guessed');
    assert.deepEqual(
      r.json.lines.map((l: any) => l.environments.find((e: any) => e.name === 'production').live),
      [true, false, true],
    );
    assert.equal(gh.count((x) => x.path === '/graphql') - before, 3, 'deployments, the quiet environments, pull requests');
  });

  it('asks no second query when the hundred most recent deployments leave none out', async () => {
    const saved = gh.data.deployments;
    gh.data.deployments = saved.filter((d) => d.environment !== 'dev' || d.id >= 1100);
    try {
      const client = new GitHubClient({ baseUrl: gh.url, token: 't' });
      const envs = await new GitHubSource(client).environments('acme/busy');
      assert.equal(envs.find((e) => e.name === 'production')?.deployment?.commit, c.v1);
      assert.equal(client.requests, 1);
    } finally {
      gh.data.deployments = saved;
    }
  });
});
