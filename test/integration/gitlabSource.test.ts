/**
 * GitLab as the source (direct mode) against a local server that answers like GitLab, on a real
 * repository in a nested group whose commits match the served deployments and merge requests:
 * line liveness, stale approvals from the diff versions an approval was given on, deployment
 * approvals in a protected environment, vulnerabilities, requests counted cold and warm, a
 * self-managed instance under a path prefix, rate limits, a refused token, `doctor`, `check` and
 * `trace` through GitLab, and the CI job token kept to its own instance.
 */
import assert from 'node:assert/strict';
import { Repository } from '../../src/core/git/repository';
import { fileLineage } from '../../src/core/lineage/fileLineage';
import { GitLabClient, GitLabError } from '../../src/core/sources/gitlab/gitlabClient';
import { GitLabSource } from '../../src/core/sources/gitlab/gitlabSource';
import { chooseSource, SourcePool } from '../../src/core/sources/sourceChoice';
import { runLineage } from '../helpers/cli';
import { startTestService } from '../helpers/testService';
import { TestRepo } from '../helpers/gitRepo';
import { FakeGitLab, type FakeGitlabData, type FakeMergeRequest } from '../helpers/gitlabServer';

const L = (n: number) => `export const line${n} = ${n * 3}; // distinct line ${n}`;
const project = 'platform/payments/app';

describe('GitLab as the source', function () {
  this.timeout(120_000);
  let repo: TestRepo;
  let gl: FakeGitLab;
  const c: Record<string, string> = {};

  const data = (): FakeGitlabData => ({
    project,
    token: 'glpat-good',
    jobToken: 'job-token-1',
    environments: ['production', 'staging'],
    deployments: [
      {
        id: 41,
        environment: 'production',
        sha: c.first!,
        at: '2026-03-02T10:00:00Z',
        user: 'release-bot',
        status: 'success',
        approvals: [{ user: 'erin', status: 'approved', at: '2026-03-02T09:55:00Z', comment: 'ship it' }],
      },
      { id: 42, environment: 'staging', sha: c.merge!, at: '2026-03-03T10:00:00Z', user: 'ci-bot', status: 'success' },
      // A later production deployment that failed is history, not what runs.
      { id: 43, environment: 'production', sha: c.merge!, at: '2026-03-04T10:00:00Z', user: 'release-bot', status: 'failed' },
    ],
    mergeRequests: [
      {
        iid: 7,
        title: 'Change line 3',
        author: 'bob',
        state: 'merged',
        sourceBranch: 'feature',
        sha: c.change!,
        mergeCommit: c.merge!,
        mergedAt: '2026-03-02T12:00:00Z',
        updatedAt: '2026-03-02T12:00:00Z',
        commits: [c.change!, c.merge!],
        versions: [
          { id: 108, head: c.first!, at: '2026-03-02T11:00:00Z' },
          { id: 110, head: c.change!, at: '2026-03-02T11:20:00Z' },
        ],
        notes: [
          { id: 1, author: 'alice', body: 'approved this merge request', at: '2026-03-02T11:10:00Z', system: true },
          { id: 2, author: 'dave', body: 'approved this merge request', at: '2026-03-02T11:12:00Z', system: true },
          { id: 3, author: 'dave', body: 'unapproved this merge request', at: '2026-03-02T11:25:00Z', system: true },
          { id: 4, author: 'carol', body: 'approved this merge request', at: '2026-03-02T11:30:00Z', system: true },
          // A comment saying the words is not an approval.
          { id: 5, author: 'mallory', body: 'approved this merge request', at: '2026-03-02T11:31:00Z', system: false },
        ],
      },
    ],
    statuses: [{ id: 901, sha: c.change!, name: 'test', status: 'failed' }],
    protectedEnvironments: [{ name: 'production', approvers: ['Maintainers'], required: 1 }],
    vulnerabilities: [
      { id: 3, title: 'Unsafe thing on line 4', severity: 'HIGH', file: 'app.js', line: 4, commit: c.first!, scanner: 'Semgrep' },
    ],
  });

  before(async () => {
    repo = TestRepo.init('platform/app');
    repo.write('app.js', [L(1), L(2), L(3), L(4)]);
    c.first = repo.commit('first');
    repo.git(['checkout', '-q', '-b', 'feature']);
    repo.write('app.js', [L(1), L(2), `${L(3)} // changed`, L(4), L(5)]);
    c.change = repo.commit('change line 3, add line 5');
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', "Merge branch 'feature' into 'main'", 'feature']);
    c.merge = repo.head();
    gl = await new FakeGitLab(data()).start();
    // The origin is the project's full path on the instance, in a nested group.
    repo.git(['remote', 'set-url', 'origin', `${gl.instance}/${project}.git`]);
  });
  after(async () => {
    await gl?.close();
    repo?.dispose();
  });

  const blame = (env: Record<string, string>, extra: string[] = [], instance = gl.instance) =>
    runLineage(repo.dir, ['blame', 'app.js', '--json', '--gitlab-url', instance, ...extra], undefined, env);
  const env = (l: any, name: string) => l.environments.find((e: any) => e.name === name);

  it('reads deployments, approvals and vulnerabilities from GitLab when the origin is on it', async () => {
    const before = gl.count();
    const r = await blame({ GITLAB_TOKEN: 'glpat-good' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.source, 'gitlab');
    assert.deepEqual(
      r.json.lines.map((l: any) => env(l, 'production').live),
      [true, true, false, true, false],
      'the failed production deployment is not what runs',
    );
    assert.deepEqual(
      r.json.lines.map((l: any) => env(l, 'staging').live),
      [true, true, true, true, true],
    );
    assert.equal(
      env(r.json.lines[0], 'production').since.deploymentId,
      `gitlab:${project}:deployment:41`,
      'the webhook id of deployment 41',
    );
    const line3 = r.json.lines[2];
    assert.equal(line3.pullRequest.number, 7);
    const byReviewer = Object.fromEntries(line3.approvals.map((a: any) => [a.reviewer, `${a.state}${a.stale ? ' stale' : ''}`]));
    assert.deepEqual(
      byReviewer,
      { alice: 'approved stale', carol: 'approved', dave: 'dismissed' },
      "alice approved the first version; dave withdrew his; mallory's comment is not an approval",
    );
    assert.deepEqual(
      r.json.lines[3].findings.map((f: any) => f.title),
      ['Unsafe thing on line 4'],
    );
    const made = gl.requests.slice(before);
    assert.ok(
      made.every((m) => m.auth === 'glpat-good'),
      'every request carried the token as PRIVATE-TOKEN',
    );
    // environments, deployments, protected environments, deployment 41 (its approvals); one page
    // of merged merge requests (the head of !7 is there), the merge requests of the other blamed
    // commit; notes of !7 and its versions (a push came after alice's approval); vulnerabilities,
    // asked twice: the first page size is over the server's complexity limit, the half is not.
    assert.equal(made.length, 10, JSON.stringify(made.map((m) => m.path)));
    assert.equal(made.filter((m) => m.path.includes('/repository/commits/')).length, 1, 'only the commit no merged merge request names');
  });

  it('a long-lived caller reads each commit and merge request once: the next file and the same file again cost nothing', async () => {
    const pool = new SourcePool();
    const git = await Repository.open(repo.dir);
    const choose = () =>
      chooseSource(
        { setting: 'gitlab', repo: git, gitlabUrl: gl.instance, gitlabToken: async () => ({ kind: 'private', value: 'glpat-good' }) },
        pool,
      );
    const first = await choose();
    assert.equal(first.kind, 'gitlab');
    const before = gl.count();
    const cold = await fileLineage({ repo: git, path: 'app.js', slug: project, source: first.source });
    const coldRequests = gl.count() - before;
    assert.ok(coldRequests > 0);
    const warm = await fileLineage({ repo: git, path: 'app.js', slug: project, source: (await choose()).source });
    assert.equal(gl.count() - before, coldRequests, 'warm: no request');
    assert.deepEqual(
      warm.lines.map((l) => l.pullRequest?.number ?? null),
      cold.lines.map((l) => l.pullRequest?.number ?? null),
    );
    const environments = await first.source.environments(project);
    const production = environments.find((e) => e.name === 'production')!;
    assert.deepEqual(production.protection?.reviewers, ['Maintainers']);
    assert.deepEqual(
      production.deployment?.approvals.map((a) => [a.approver, a.state, a.comment]),
      [['erin', 'approved', 'ship it']],
      'the approval of the deployment that runs in the protected environment',
    );
  });

  it('talks to a self-managed instance under a path prefix, the project path taken from the origin', async () => {
    const prefixed = await new FakeGitLab(gl.data, '/gitlab').start();
    const origin = repo.git(['remote', 'get-url', 'origin']).trim();
    repo.git(['remote', 'set-url', 'origin', `${prefixed.instance}/${project}.git`]);
    try {
      const r = await blame({ GITLAB_TOKEN: 'glpat-good' }, [], prefixed.instance);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.json.source, 'gitlab');
      assert.equal(r.json.lines[2].pullRequest.number, 7);
      assert.ok(prefixed.requests.length > 0);
      assert.ok(
        prefixed.requests.every((m) => m.path.startsWith('/gitlab/api/')),
        JSON.stringify(prefixed.requests.map((m) => m.path)),
      );
      // CI_API_V4_URL names the instance by its API URL.
      const ci = await runLineage(repo.dir, ['blame', 'app.js', '--json'], undefined, {
        CI_API_V4_URL: `${prefixed.instance}/api/v4`,
        GITLAB_TOKEN: 'glpat-good',
      });
      assert.equal(ci.status, 0, ci.stderr);
      assert.equal(ci.json.source, 'gitlab');
    } finally {
      repo.git(['remote', 'set-url', 'origin', origin]);
      await prefixed.close();
    }
  });

  it('pages through long lists by their Link headers, and a repeat read is a 304', async () => {
    const client = new GitLabClient({ url: gl.instance, token: { kind: 'private', value: 'glpat-good' } });
    try {
      const many = { ...gl.data, deployments: Array.from({ length: 250 }, (_, i) => ({ ...gl.data.deployments[1]!, id: 1000 + i })) };
      const big = await new FakeGitLab(many).start();
      const bigClient = new GitLabClient({ url: big.instance, token: { kind: 'private', value: 'glpat-good' } });
      try {
        const all = (await bigClient.api.Deployments.all(project, { perPage: 100 })) as unknown[];
        assert.equal(all.length, 250);
        assert.equal(big.count(), 3, 'three pages of 100');
      } finally {
        await bigClient.close();
        await big.close();
      }
      await client.api.Environments.all(project);
      const before = gl.requests.filter((r) => r.status === 304).length;
      const again = (await client.api.Environments.all(project)) as { name: string }[];
      assert.deepEqual(
        again.map((e) => e.name),
        ['production', 'staging'],
      );
      assert.equal(gl.requests.filter((r) => r.status === 304).length, before + 1);
    } finally {
      await client.close();
    }
  });

  it('waits out a 429 as Retry-After says and carries on; gives up with a clear message when it goes on', async () => {
    const client = new GitLabClient({ url: gl.instance, token: { kind: 'private', value: 'glpat-good' } });
    const source = new GitLabSource(client);
    try {
      gl.rateLimited = 1;
      const started = Date.now();
      const envs = await source.environments(project);
      assert.ok(Date.now() - started >= 900, 'waited about the second GitLab asked for');
      assert.equal(envs.length, 2);
      gl.rateLimited = 10;
      const limited = new GitLabClient({ url: gl.instance, token: { kind: 'private', value: 'glpat-good' }, rateLimitRetries: 1 });
      await assert.rejects(
        limited.read('environments', (api) => api.Environments.all(project), {
          safeParse: (v: unknown) => ({ success: true, data: v }),
        } as never),
        (e: unknown) => GitLabError.is(e, 'rateLimited') && /rate limit reached \(429\); try again in 1 s/.test((e as Error).message),
      );
      await limited.close();
    } finally {
      gl.rateLimited = 0;
      await client.close();
    }
  });

  it('says a refused token in one line; what the tier or token lacks is a notice, not a failure', async () => {
    const refused = await blame({ GITLAB_TOKEN: 'glpat-revoked' });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^lineage: 127\.0\.0\.1:\d+ refused the token \(401\)/);
    const free = await new FakeGitLab({ ...gl.data, protectedEnvironments: undefined, vulnerabilities: undefined }).start();
    try {
      const r = await blame({ GITLAB_TOKEN: 'glpat-good' }, [], free.instance);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.json.lines[2].pullRequest.number, 7);
      assert.match(JSON.stringify(r.json), /vulnerability findings unknown/);
    } finally {
      await free.close();
    }
  });

  it('asks once more after a 500, as every read is safe to repeat', async () => {
    const client = new GitLabClient({ url: gl.instance, token: { kind: 'private', value: 'glpat-good' } });
    try {
      gl.failingPath = '/environments';
      const envs = (await client.api.Environments.all(project)) as unknown[];
      assert.equal(envs.length, 2);
    } finally {
      gl.failingPath = null;
      await client.close();
    }
  });

  it("lineage doctor names the source, the token's origin, the version and the project access", async () => {
    const ok = await runLineage(repo.dir, ['doctor', '--json', '--gitlab-url', gl.instance], undefined, { GITLAB_TOKEN: 'glpat-good' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const byName = Object.fromEntries(ok.json.checks.map((x: any) => [x.name, x]));
    assert.equal(byName.repository.detail.split(' ')[0], project);
    assert.match(byName.source.detail, /^gitlab: GitLab at 127\.0\.0\.1/);
    assert.match(byName['gitlab token'].detail, /from GITLAB_TOKEN \(sent only to 127\.0\.0\.1:\d+\)/);
    assert.doesNotMatch(ok.stdout, /glpat-good/, 'the token itself is never printed');
    assert.match(byName.gitlab.detail, /reachable: GitLab 8\.13\.0-pre .*rate limit \d+\/2000 left/);
    assert.match(byName['gitlab project'].detail, new RegExp(`^${project}: private, default branch main, token access owner`));
    assert.equal(byName['gitlab data'].detail, '2 environment(s), deployed: production, staging; vulnerabilities readable');
    const refused = await runLineage(repo.dir, ['doctor', '--gitlab-url', gl.instance], undefined, { GITLAB_TOKEN: 'glpat-revoked' });
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /✘ gitlab: .*refused the token[\s\S]*fix: create a token with the read_api scope/);
  });

  it('lineage check in a merge request pipeline reads the merge request, its approvals and the jobs from GitLab', async () => {
    const r = await runLineage(repo.dir, ['check', '--base', c.first!, '--head', c.change!, '--json'], undefined, {
      CI_SERVER_URL: gl.instance,
      CI_API_V4_URL: `${gl.instance}/api/v4`,
      CI_JOB_TOKEN: 'job-token-1',
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.equal(r.json.pullRequest.number, 7);
    const stale = r.json.violations.filter((v: any) => v.rule === 'stale-approval').map((v: any) => v.evidence.reviewer);
    assert.deepEqual(stale, ['alice']);
    const check = r.json.violations.find((v: any) => v.rule === 'blocking-check');
    assert.deepEqual([check.evidence.check, check.evidence.conclusion], ['test', 'failure']);
    assert.ok(
      gl.requests.some((m) => m.auth === 'job-token-1'),
      'the job token was sent as JOB-TOKEN',
    );
  });

  it("a CI job's token goes only to the instance that ran the job", async () => {
    const before = gl.count();
    const r = await blame({ CI_SERVER_URL: 'https://gitlab.other.example', CI_JOB_TOKEN: 'job-token-1' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.source, 'git', 'no token for this instance: git only');
    assert.equal(gl.count(), before, 'nothing was sent');
  });

  it('lineage trace takes the revision that runs in production from GitLab', async () => {
    const r = await runLineage(
      repo.dir,
      ['trace', '-', '--json', '--gitlab-url', gl.instance],
      'Error: boom\n    at render (/app/app.js:3:7)',
      {
        GITLAB_TOKEN: 'glpat-good',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.revision.sha, c.first);
    assert.match(r.json.revision.how, /running in production since deployment gitlab:platform\/payments\/app:deployment:41/);
    assert.equal(r.json.candidates[0].path, 'app.js');
    assert.equal(r.json.candidates[0].line, 3);
    assert.deepEqual(r.json.candidates[0].changed, { how: 'edited', commit: c.change });
  });

  it("backfills the service from GitLab: idempotent, resumable, under the webhooks' ids, the same lineage as direct mode", async () => {
    const t = await startTestService('embedded');
    // A second merge request, approved on its head, touching no blamed line: with two on a page,
    // their system notes come in one GraphQL query.
    const other = 'ab'.repeat(20);
    gl.data.mergeRequests.push({
      iid: 8,
      title: 'Docs',
      author: 'bob',
      state: 'merged',
      sourceBranch: 'docs',
      sha: other,
      mergeCommit: null,
      squashCommit: null,
      mergedAt: '2026-03-01T12:00:00Z',
      updatedAt: '2026-03-01T12:00:00Z',
      commits: [other],
      versions: [{ id: 80, head: other, at: '2026-03-01T10:00:00Z' }],
      notes: [{ id: 801, author: 'erin', body: 'approved this merge request', at: '2026-03-01T11:00:00Z', system: true }],
    });
    try {
      const env = { GITLAB_TOKEN: 'glpat-good' };
      const sync = () => runLineage(repo.dir, ['sync', 'gitlab', '--api', t.url, '--gitlab-url', gl.instance], undefined, env);
      // Interrupted while reading merge requests: deployments are in, the rest follows on the next run.
      gl.forbiddenPath = '/merge_requests';
      const broken = await sync();
      assert.equal(broken.status, 2, broken.stdout + broken.stderr);
      assert.match(broken.stderr, /run it again to continue where it stopped/);
      gl.forbiddenPath = null;
      const before = gl.requests.length;
      const resumed = await sync();
      assert.equal(resumed.status, 0, resumed.stderr);
      const during = gl.requests.slice(before).map((r) => r.path);
      assert.equal(during.filter((p) => /\/merge_requests\/\d+\/notes/.test(p)).length, 0, 'no notes read one merge request at a time');
      const docs = (await t.client.lineage(project, [other])).commits[0]!;
      assert.deepEqual(
        docs.pullRequests.map((pr) => [pr.number, pr.reviews.map((r) => `${r.reviewer}:${r.state}:${r.commit}`)]),
        [[8, [`erin:approved:${other}`]]],
      );
      assert.match(resumed.stdout, new RegExp(`^synced ${project} \\(resumed\\): \\d+ events sent, \\d+ new, \\d+ GitLab requests`));
      const again = await sync();
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /: \d+ events sent, 0 new/, 'a second run stores nothing');
      const history = (await t.client.deployments(project, 'production', { limit: 10 })).deployments;
      assert.deepEqual(
        history.map((d) => `${d.id} ${d.status}`),
        [`gitlab:${project}:deployment:43 failure`, `gitlab:${project}:deployment:41 success`],
        'the ids the Deployment Hook gives them',
      );
      const viaService = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--api', t.url, '--gitlab-url', gl.instance]);
      const direct = await blame(env);
      const summary = (j: any) =>
        j.lines.map((l: any) => [
          l.environments
            .map((e: any) => `${e.name}:${e.live}`)
            .sort()
            .join(','),
          l.pullRequest?.number ?? null,
          l.approvals
            .map((a: any) => `${a.reviewer}:${a.state}:${a.stale}`)
            .sort()
            .join(','),
          l.findings.length,
        ]);
      assert.equal(viaService.status, 0, viaService.stderr);
      assert.deepEqual(summary(viaService.json), summary(direct.json));
    } finally {
      gl.data.mergeRequests = gl.data.mergeRequests.filter((mr) => mr.iid !== 8);
      await t.close();
    }
  });

  it('finds squash and merge commits in the merged merge requests, and reads versions only after a push', async () => {
    const squash = 'a1'.repeat(20);
    const head = 'b2'.repeat(20);
    const quiet = await new FakeGitLab({
      ...gl.data,
      mergeRequests: [
        {
          iid: 21,
          title: 'Squashed',
          author: 'bob',
          state: 'merged',
          sourceBranch: 'squashed',
          sha: head,
          mergeCommit: null,
          squashCommit: squash,
          mergedAt: '2026-03-05T12:00:00Z',
          updatedAt: '2026-03-05T12:00:00Z',
          commits: [head, squash],
          versions: [{ id: 1, head, at: '2026-03-05T10:00:00Z' }],
          notes: [
            { id: 1, author: 'carol', body: 'approved this merge request', at: '2026-03-05T11:00:00Z', system: true },
            { id: 2, author: 'bob', body: 'mentioned in commit a1a1a1a1', at: '2026-03-05T12:00:00Z', system: true },
          ],
        },
      ],
    }).start();
    const client = new GitLabClient({ url: quiet.instance, token: { kind: 'private', value: 'glpat-good' } });
    try {
      const lineage = await new GitLabSource(client).lineage(project, [squash]);
      const pr = lineage.get(squash)!.pullRequests[0]!;
      assert.equal(pr.number, 21);
      assert.equal(pr.mergeCommit, squash);
      assert.deepEqual(
        pr.reviews.map((r) => [r.reviewer, r.state, r.commit]),
        [['carol', 'approved', head]],
        'no push after the approval: it covers the head',
      );
      const paths = quiet.requests.map((r) => r.path);
      assert.ok(!paths.some((p) => p.includes('/repository/commits/')), 'the squash commit was found in the list');
      assert.ok(!paths.some((p) => p.endsWith('/versions')), 'no versions without a push after the approval');
    } finally {
      await client.close();
      await quiet.close();
    }
  });

  it("takes a merged branch's own commits to the merge request that merged them from the clone, and asks GitLab only about the rest", async () => {
    // main: base, then the feature branch merged through !31. The branch has two commits of its
    // own and a sub-branch merged into it, whose commit only GitLab can place (it could belong to
    // a merge request of its own); one commit was pushed straight to main afterwards.
    const local = TestRepo.init('platform/history');
    const scratch = new FakeGitLab({ ...gl.data, deployments: [], mergeRequests: [] });
    try {
      local.write('app.js', [L(1), L(2), L(3), L(4), L(5)]);
      const base = local.commit('base');
      local.git(['checkout', '-q', '-b', 'feature']);
      local.write('app.js', [`${L(1)} // f1`, L(2), L(3), L(4), L(5)]);
      const f1 = local.commit('f1');
      local.git(['checkout', '-q', '-b', 'sub', base]);
      local.write('app.js', [L(1), L(2), `${L(3)} // s1`, L(4), L(5)]);
      const s1 = local.commit('s1');
      local.git(['checkout', '-q', 'feature']);
      local.git(['merge', '-q', '--no-ff', '-m', "Merge branch 'sub' into 'feature'", 'sub']);
      const fm = local.head();
      local.write('app.js', [`${L(1)} // f1`, `${L(2)} // f2`, `${L(3)} // s1`, L(4), L(5)]);
      const f2 = local.commit('f2');
      local.git(['checkout', '-q', 'main']);
      local.git(['merge', '-q', '--no-ff', '-m', "Merge branch 'feature' into 'main'", 'feature']);
      const merge = local.head();
      local.write('app.js', [`${L(1)} // f1`, `${L(2)} // f2`, `${L(3)} // s1`, L(4), `${L(5)} // direct`]);
      const direct = local.commit('pushed to main');
      const mergeRequest = (iid: number, head: string, mergeCommit: string, commits: string[]) => ({
        iid,
        title: `change ${iid}`,
        author: 'bob',
        state: 'merged' as const,
        sourceBranch: `topic-${iid}`,
        sha: head,
        mergeCommit,
        mergedAt: '2026-03-05T12:00:00Z',
        updatedAt: '2026-03-05T12:00:00Z',
        commits,
        versions: [{ id: iid, head, at: '2026-03-05T10:00:00Z' }],
        notes: [{ id: iid, author: 'carol', body: 'approved this merge request', at: '2026-03-05T11:00:00Z', system: true }],
      });
      // !31 merged the feature branch into main; its head is f2, so f1 is named by no head, merge
      // or squash commit. The sub-branch was merged into the feature branch without one.
      scratch.data.mergeRequests = [mergeRequest(31, f2, merge, [f1, s1, fm, f2])];
      await scratch.start();
      const client = new GitLabClient({ url: scratch.instance, token: { kind: 'private', value: 'glpat-good' } });
      try {
        const source = new GitLabSource(client);
        const lineage = await source.lineage(project, [f1, f2, s1, direct], await Repository.open(local.dir));
        const numbers = (sha: string) =>
          lineage
            .get(sha)!
            .pullRequests.map((pr) => pr.number)
            .sort((a, b) => a - b);
        assert.deepEqual(numbers(f1), [31], 'f1: its branch was merged by !31');
        assert.deepEqual(numbers(f2), [31]);
        assert.deepEqual(numbers(s1), [31], 'GitLab places the sub-branch commit');
        assert.deepEqual(numbers(direct), []);
        const asked = scratch.requests
          .filter((r) => r.path.includes('/repository/commits/'))
          .map((r) => /commits\/([0-9a-f]+)/.exec(r.path)![1]);
        assert.deepEqual(asked.sort(), [s1, direct].sort(), 'only the nested and the directly pushed commits are asked about');
        // Without a clone the same answer comes from GitLab alone.
        const alone = await new GitLabSource(client).lineage(project, [f1, f2, s1, direct]);
        for (const sha of [f1, f2, s1, direct])
          assert.deepEqual(
            alone
              .get(sha)!
              .pullRequests.map((pr) => pr.number)
              .sort((a, b) => a - b),
            numbers(sha),
            sha,
          );
      } finally {
        await client.close();
      }
    } finally {
      await scratch.close();
      local.dispose();
    }
  });

  describe('merge requests read together', () => {
    /** A merged merge request named by its squash commit, approved by carol at `approvedAt` on its head. */
    const squashed = (iid: number, updatedAt: string, approvedAt = '2026-03-05T11:00:00Z') => {
      const head = iid.toString(16).padStart(8, '0').repeat(5);
      return {
        iid,
        title: `change ${iid}`,
        author: 'bob',
        state: 'merged' as const,
        sourceBranch: `topic-${iid}`,
        sha: head,
        mergeCommit: null,
        squashCommit: `5${head.slice(1)}`,
        mergedAt: updatedAt,
        updatedAt,
        commits: [head, `5${head.slice(1)}`],
        versions: [{ id: iid, head, at: '2026-03-05T10:00:00Z' }],
        notes: [{ id: iid, author: 'carol', body: 'approved this merge request', at: approvedAt, system: true }],
      };
    };
    /** !iid, made with head `from` and pushed to once, making `to` its head; with these notes. */
    const pushedTo = (iid: number, from: [string, string], to: [string, string], notes: FakeMergeRequest['notes']) => ({
      ...squashed(iid, '2026-03-06T12:00:00Z'),
      sha: to[0],
      versions: [
        { id: 1, head: from[0], at: from[1] },
        { id: 2, head: to[0], at: to[1] },
      ],
      notes,
    });
    const reviews = (
      lineage: Map<
        string,
        { pullRequests: { number: number; reviews: { reviewer: string; state: string; commit: string | null; eventKey: string }[] }[] }
      >,
    ) =>
      [...lineage]
        .sort()
        .map(([sha, l]) => [
          sha,
          l.pullRequests.map((pr) => [pr.number, pr.reviews.map((r) => [r.reviewer, r.state, r.commit, r.eventKey])]),
        ]);

    it("reads many merge requests' system notes in one GraphQL query, with the reviews REST gives", async () => {
      // !51: approved, then pushed to, then approved again by another reviewer; !52: approved then
      // unapproved; !53: approved. Both ways must give the same reviewers, heads and note ids.
      const first = 'c3'.repeat(20);
      const second = 'd4'.repeat(20);
      const pushed = pushedTo(
        51,
        [first, '2026-03-05T10:00:00Z'],
        [second, '2026-03-05T12:00:00Z'],
        [
          { id: 511, author: 'carol', body: 'approved this merge request', at: '2026-03-05T11:00:00Z', system: true },
          { id: 512, author: 'dave', body: 'approved this merge request', at: '2026-03-05T13:00:00Z', system: true },
          { id: 513, author: 'erin', body: 'looks good to me', at: '2026-03-05T13:30:00Z', system: false },
        ],
      );
      const withdrawn = {
        ...squashed(52, '2026-03-06T11:00:00Z'),
        notes: [
          { id: 521, author: 'carol', body: 'approved this merge request', at: '2026-03-05T11:00:00Z', system: true },
          { id: 522, author: 'carol', body: 'unapproved this merge request', at: '2026-03-05T11:30:00Z', system: true },
        ],
      };
      const data = { ...gl.data, deployments: [], mergeRequests: [pushed, withdrawn, squashed(53, '2026-03-06T10:00:00Z')] };
      const commits = data.mergeRequests.map((mr) => mr.squashCommit);
      const answers: unknown[] = [];
      for (const refuses of [false, true]) {
        const server = new FakeGitLab(data);
        server.refusesNotesQuery = refuses;
        await server.start();
        const client = new GitLabClient({ url: server.instance, token: { kind: 'private', value: 'glpat-good' } });
        try {
          const source = new GitLabSource(client);
          answers.push(reviews(await source.lineage(project, commits)));
          const paths = server.requests.map((r) => r.path);
          const notesRead = paths.filter((p) => p.endsWith('/notes') || p.includes('/notes?'));
          assert.equal(paths.filter((p) => p.endsWith('/graphql')).length, 1, 'one query for the three');
          assert.equal(notesRead.length, refuses ? 3 : 0, refuses ? 'refused: each read through REST' : 'no notes read one by one');
          assert.equal(paths.filter((p) => p.includes('/versions')).length, 1, 'versions only of !51, pushed to after an approval');
          // Refused once, the query is not sent again.
          server.data.mergeRequests.push(squashed(54, '2026-03-06T09:00:00Z'), squashed(55, '2026-03-06T08:00:00Z'));
          await source.lineage(project, [squashed(54, '').squashCommit, squashed(55, '').squashCommit]);
          assert.equal(server.requests.filter((r) => r.path.endsWith('/graphql')).length, refuses ? 1 : 2);
        } finally {
          await client.close();
          await server.close();
        }
      }
      assert.deepEqual(answers[0], answers[1]);
      const withPush = (answers[0] as [string, [number, string[][]][]][]).find(([sha]) => sha === pushed.squashCommit)![1][0]![1];
      assert.deepEqual(
        withPush.map((r) => r.slice(0, 3)),
        [
          ['carol', 'approved', first],
          ['dave', 'approved', second],
        ],
        "carol's approval is on the head before the push",
      );
    });

    it("orders an approval and a push in the same second by REST's milliseconds, not GraphQL's seconds", async () => {
      // Pushed at .300, approved at .700 of the same second: the approval is on the new head.
      // GraphQL's times say only "that second", which would put it on the old one.
      const before = 'e5'.repeat(20);
      const after = 'f6'.repeat(20);
      const close = pushedTo(
        61,
        [before, '2026-03-05T09:00:00.000Z'],
        [after, '2026-03-05T10:00:00.300Z'],
        [{ id: 611, author: 'carol', body: 'approved this merge request', at: '2026-03-05T10:00:00.700Z', system: true }],
      );
      const server = await new FakeGitLab({
        ...gl.data,
        deployments: [],
        mergeRequests: [close, squashed(62, '2026-03-06T11:00:00Z')],
      }).start();
      const client = new GitLabClient({ url: server.instance, token: { kind: 'private', value: 'glpat-good' } });
      try {
        const lineage = await new GitLabSource(client).lineage(project, [close.squashCommit, squashed(62, '').squashCommit]);
        const pr = lineage.get(close.squashCommit)!.pullRequests[0]!;
        assert.deepEqual(
          pr.reviews.map((r) => [r.reviewer, r.state, r.commit]),
          [['carol', 'approved', after]],
        );
        const paths = server.requests.map((r) => r.path);
        assert.equal(paths.filter((p) => p.includes('/merge_requests/61/notes')).length, 1, "!61's notes read again through REST");
        assert.equal(paths.filter((p) => p.includes('/merge_requests/62/notes')).length, 0);
      } finally {
        await client.close();
        await server.close();
      }
    });

    it('pages past ten while pages place blamed commits, and not for a commit made after the merge requests on a page', async () => {
      // 1,200 merged merge requests, one updated an hour before the next; a blamed squash commit on
      // each of the first twelve pages. One more commit, made in the clone after all of them, was
      // pushed without a merge request: no page can hold it, so it is asked about at once.
      const start = Date.parse('2026-05-01T00:00:00Z');
      const all = Array.from({ length: 1200 }, (_, i) => squashed(1000 + i, new Date(start - i * 3_600_000).toISOString()));
      const blamed = Array.from({ length: 12 }, (_, page) => all[page * 100 + 50]!.squashCommit);
      const local = TestRepo.init('platform/late');
      const server = await new FakeGitLab({ ...gl.data, deployments: [], mergeRequests: all }).start();
      const client = new GitLabClient({ url: server.instance, token: { kind: 'private', value: 'glpat-good' } });
      try {
        local.write('app.js', [L(1)]);
        const late = local.commit('pushed to main', {
          GIT_COMMITTER_DATE: '2026-06-01T00:00:00Z',
          GIT_AUTHOR_DATE: '2026-06-01T00:00:00Z',
        });
        const repository = await Repository.open(local.dir);
        const lineage = await new GitLabSource(client).lineage(project, [...blamed, late], repository);
        blamed.forEach((sha, page) =>
          assert.deepEqual(
            lineage.get(sha)!.pullRequests.map((pr) => pr.number),
            [1000 + page * 100 + 50],
          ),
        );
        assert.deepEqual(lineage.get(late)!.pullRequests, []);
        // The merged list's pages, not a commit's own merge requests (…/commits/<sha>/merge_requests).
        const pages = (requests: { path: string }[]) =>
          requests.filter((r) => /\/merge_requests\?/.test(r.path) && !r.path.includes('/commits/'));
        const listed = pages(server.requests);
        const asked = server.requests.filter((r) => r.path.includes('/repository/commits/'));
        assert.equal(listed.length, 12, 'twelve pages: each placed a blamed commit');
        assert.deepEqual(
          asked.map((r) => /commits\/([0-9a-f]+)/.exec(r.path)![1]),
          [late],
        );

        // Only the late commit and one on the first page: one page, not ten.
        const once = server.requests.length;
        await new GitLabSource(client).lineage(project, [blamed[0]!, late], repository);
        assert.equal(pages(server.requests.slice(once)).length, 1);
      } finally {
        await client.close();
        await server.close();
        local.dispose();
      }
    });
  });
});
