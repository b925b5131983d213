/**
 * A finding tied to no revision is stored and listed as orphaned, never attached to whatever runs
 * now; every finding says how it is tied to code.
 */
import assert from 'node:assert/strict';
import { backends, http, startTestService, type TestService } from '../helpers/testService';

const sha = (c: string) => c.repeat(40);
const digest = (c: string) => `sha256:${c.repeat(64)}`;

for (const backend of backends()) {
  describe(`orphaned findings (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;

    before(async () => {
      t = await startTestService(backend);
      const finding = (id: string, extra: object) => ({
        type: 'finding',
        id: `of-${id}`,
        repo: 'acme/orphans',
        findingId: id,
        kind: 'error',
        severity: 'high',
        title: id,
        environment: 'production',
        ...extra,
      });
      await t.client.ingest(
        'events',
        JSON.stringify([
          { type: 'artifact', id: 'of-art', repo: 'acme/orphans', digest: digest('a'), name: 'app', commit: sha('1') },
          {
            type: 'deployment',
            id: 'of-dep',
            repo: 'acme/orphans',
            deploymentId: 'now',
            environment: 'production',
            commit: sha('2'),
            at: '2026-03-02T10:00:00Z',
          },
          finding('by-commit', { commit: sha('1') }),
          finding('by-location', { locations: [{ path: 'app.js', line: 3, revision: sha('1') }] }),
          finding('by-digest', { artifact: digest('a') }),
          finding('unknown-digest', { artifact: digest('b'), locations: [{ path: 'app.js', line: 3 }] }),
          finding('nothing', { detail: 'Error: boom' }),
        ]),
      );
    });
    after(async () => {
      await t?.close();
    });

    it('lists the findings tied to no revision as orphaned, and says how every other one is tied', async () => {
      const all = (await t.client.findings('acme/orphans')).findings;
      const links = Object.fromEntries(all.map((f) => [f.id, [f.link?.how, f.link?.confidence, f.commit]]));
      assert.deepEqual(links, {
        'by-commit': ['revision', 1, sha('1')],
        'by-location': ['revision', 1, null],
        'by-digest': ['digest', 0.9, sha('1')],
        'unknown-digest': ['none', 0, null],
        nothing: ['none', 0, null],
      });
      const orphaned = (await t.client.findings('acme/orphans', { orphaned: true })).findings.map((f) => f.id).sort();
      assert.deepEqual(orphaned, ['nothing', 'unknown-digest'], 'never linked to the deployment running now');
      const linked = (await t.client.findings('acme/orphans', { orphaned: false })).findings.map((f) => f.id).sort();
      assert.deepEqual(linked, ['by-commit', 'by-digest', 'by-location']);
    });

    it('links an orphan once its artifact becomes known, and refuses a malformed filter', async () => {
      await t.client.ingest(
        'events',
        JSON.stringify({ type: 'artifact', id: 'of-art-b', repo: 'acme/orphans', digest: digest('b'), name: 'app', commit: sha('3') }),
      );
      const found = await t.client.finding('unknown-digest');
      assert.deepEqual([found.link?.how, found.commit], ['digest', sha('3')]);
      const bad = await http(`${t.url}/v1/repos/acme/orphans/findings?orphaned=maybe`);
      assert.equal(bad.status, 400);
      assert.match(bad.json.detail, /orphaned must be true or false/);
    });
  });
}
