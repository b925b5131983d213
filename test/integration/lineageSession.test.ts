/**
 * The engine's front door, against a real repository and the real service over HTTP: answers are
 * cached per buffer text and never as failures, a source that fails leaves git's answer with a
 * notice, and a refused token is marked as the user's to fix.
 */
import assert from 'node:assert/strict';
import { Repository } from '../../src/core/git/repository';
import { renderLineHover } from '../../src/core/present/lineHover';
import { LineageSession, type SessionConfig } from '../../src/core/session/lineageSession';
import { TestRepo } from '../helpers/gitRepo';
import { startTestService, type TestService } from '../helpers/testService';

describe('LineageSession', function () {
  this.timeout(60_000);
  let t: TestService;
  let repo: TestRepo;
  let git: Repository;
  let head: string;

  before(async () => {
    t = await startTestService('embedded', { readToken: 'read-secret', writeToken: 'write-secret' });
    repo = TestRepo.init('acme/session');
    repo.write('app.js', ['const a = 1;', 'const b = 2;']);
    head = repo.commit('first');
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'deployment',
        id: 's-d1',
        repo: 'acme/session',
        deploymentId: 'd1',
        environment: 'production',
        commit: head,
        at: '2026-03-02T10:00:00Z',
        actor: 'ci-bot',
      }),
    );
    git = await Repository.open(repo.dir);
  });
  after(async () => {
    await t.close();
    repo.dispose();
  });

  const session = (config: Partial<SessionConfig> = {}, token: string | null = 'read-secret') =>
    new LineageSession(
      { source: 'auto', apiUrl: t.url, githubUrl: null, detectMoves: false, ...config },
      { apiToken: async () => token, githubToken: async () => null, githubTokenHelp: 'sign in' },
    );

  it('answers from the service and computes a buffer once, however often it is asked', async () => {
    const s = session();
    try {
      const ask = { repo: git, path: 'app.js', slug: 'acme/session', text: 'const a = 1;\nconst b = 2;\n' };
      const [first, again] = await Promise.all([s.lineage(ask), s.lineage(ask)]);
      assert.equal(first, again, 'one computation for two requests of the same text');
      assert.equal(first.file.source, 'service');
      assert.equal(first.file.lines[0]!.environments.find((e) => e.name === 'production')?.live, true);
      assert.equal(first.failure, null);
      assert.notEqual(await s.lineage({ ...ask, text: 'const a = 1;\n' }), first, 'another text is another answer');
      s.invalidate();
      assert.notEqual(await s.lineage(ask), first, 'invalidation drops the answer');
    } finally {
      await s.close();
    }
  });

  it('falls back to git with a notice when the service cannot be reached, and asks again next time', async () => {
    const s = session({ apiUrl: 'http://127.0.0.1:9' });
    try {
      const ask = { repo: git, path: 'app.js', slug: 'acme/session', text: 'x' };
      const answer = await s.lineage(ask);
      assert.equal(answer.file.source, 'none');
      assert.equal(answer.file.lines[0]!.commit?.sha, head, "git's answer stands");
      assert.equal(answer.failure?.needsFix, false);
      assert.match(answer.notice ?? '', /cannot reach the service.*showing git only/);
      await s.configure({ source: 'auto', apiUrl: t.url, githubUrl: null, detectMoves: false });
      assert.equal((await s.lineage(ask)).file.source, 'service', 'the fall-back was not cached past a change of settings');
    } finally {
      await s.close();
    }
  });

  it("marks a refused token as the user's to fix, and a setting it cannot meet likewise", async () => {
    const refused = session({}, 'wrong-token');
    const noUrl = session({ source: 'service', apiUrl: null });
    try {
      const answer = await refused.lineage({ repo: git, path: 'app.js', slug: 'acme/session' });
      assert.equal(answer.failure?.needsFix, true);
      assert.equal(answer.file.lines[1]!.commit?.sha, head);
      const unmet = await noUrl.lineage({ repo: git, path: 'app.js', slug: 'acme/session' });
      assert.equal(unmet.failure?.needsFix, true);
      assert.match(unmet.notice ?? '', /no URL is set/);
      await assert.rejects(noUrl.source(git), /no URL is set/);
    } finally {
      await refused.close();
      await noUrl.close();
    }
  });

  it('says what a rollback running now undid, in the file lineage and the hover', async () => {
    await t.client.ingest(
      'events',
      JSON.stringify([
        {
          type: 'deployment',
          id: 's-d2',
          repo: 'acme/session',
          deploymentId: 'd2',
          environment: 'production',
          commit: head,
          at: '2026-03-03T10:00:00Z',
          actor: 'ci-bot',
        },
        {
          type: 'deployment',
          id: 's-d3',
          repo: 'acme/session',
          deploymentId: 'd3',
          environment: 'production',
          commit: head,
          at: '2026-03-03T10:30:00Z',
          actor: 'ops',
          kind: 'rollback',
        },
      ]),
    );
    const s = session();
    try {
      const answer = await s.lineage({ repo: git, path: 'app.js', slug: 'acme/session' });
      const production = answer.file.environments.find((e) => e.name === 'production');
      assert.deepEqual([production?.deploymentId, production?.kind, production?.undid], ['d3', 'rollback', 'd2']);
      const text = renderLineHover(answer.file, answer.file.lines[0]!, {
        policy: { order: ['production'], production: 'production' },
        links: false,
      });
      assert.match(text, /live since .*; now a rollback that undid d2/);
    } finally {
      await s.close();
    }
  });

  it('places a finding on its line only when it names the revision: an orphan is not forced onto what runs now', async () => {
    const finding = (id: string, extra: object) => ({
      type: 'finding',
      id: `s-${id}`,
      repo: 'acme/session',
      findingId: id,
      kind: 'error',
      severity: 'high',
      title: id,
      ...extra,
    });
    await t.client.ingest(
      'events',
      JSON.stringify([
        finding('placed', { commit: head, locations: [{ path: 'app.js', line: 2 }] }),
        finding('orphan', { locations: [{ path: 'app.js', line: 2 }] }),
      ]),
    );
    const s = session();
    try {
      const answer = await s.lineage({ repo: git, path: 'app.js', slug: 'acme/session' });
      assert.deepEqual(
        answer.file.lines[1]!.findings.map((f) => f.id),
        ['placed'],
      );
    } finally {
      await s.close();
    }
  });

  it('reads a deployment and approvals through the source in use', async () => {
    const s = session();
    try {
      const found = await s.deployment(git, 'acme/session', 'production', 'd1');
      assert.equal(found.source, 'service');
      assert.equal(found.deployment?.commit, head);
      assert.equal((await s.deployment(git, 'acme/session', 'production', 'nope')).deployment, null);
      const gitOnly = session({ source: 'git' });
      const approvals = await gitOnly.approvals(git, 'acme/session');
      await gitOnly.close();
      assert.equal(approvals.ok, false);
    } finally {
      await s.close();
    }
  });
});
