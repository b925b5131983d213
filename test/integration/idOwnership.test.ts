/**
 * Ids a sender chooses (a deploy script's deployment id, a scanner's finding id, an artifact's
 * digest) are shared by every repository the service holds: an event of one repository naming an
 * id another repository's row has is refused (409, nothing stored), on both stores, whether the
 * row is in the store, on its way in through the intake journal, or in the same request; the
 * first repository's row stays what it was, and the audit chain verifies.
 */
import assert from 'node:assert/strict';
import { backends, http, startTestService, type TestService } from '../helpers/testService';

const sha = (c: string) => c.repeat(40);

const deployment = (repo: string, id: string, extra: object = {}) => ({
  type: 'deployment',
  id: `own-${repo.replace('/', '-')}-${id}-${JSON.stringify(extra).length}`,
  repo,
  deploymentId: id,
  environment: 'production',
  commit: sha(repo === 'acme/a' ? 'a' : 'b'),
  at: '2026-03-02T10:00:00Z',
  actor: repo === 'acme/a' ? 'ci-a' : 'ci-b',
  ...extra,
});

for (const backend of backends()) {
  describe(`ids another repository already has (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;
    before(async () => {
      t = await startTestService(backend);
    });
    after(async () => {
      await t?.close();
    });

    const post = (body: unknown) => http(`${t.url}/v1/events`, { body: JSON.stringify(body) });

    it("refuses a deployment id of another repository with 409, and keeps the first repository's row", async () => {
      assert.equal((await post(deployment('acme/a', '1'))).status, 200);
      const refused = await post(deployment('acme/b', '1'));
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.json.type, 'urn:code-lineage:problem:id-conflict');
      assert.match(
        refused.json.detail,
        /deployment "1" belongs to acme\/a; an event of acme\/b cannot use the same id.*nothing was stored/,
      );
      const row = await t.client.deployment('1');
      assert.equal(row.repo, 'acme/a');
      assert.equal(row.commit, sha('a'));
      assert.equal(row.actor, 'ci-a');
      assert.deepEqual((await t.client.environments('acme/b')).environments, []);
    });

    it('still takes updates of the same repository to its own id', async () => {
      const update = await post(deployment('acme/a', '1', { status: 'failure', at: '2026-03-02T10:05:00Z' }));
      assert.equal(update.status, 200, update.text);
      assert.equal((await t.client.deployment('1')).status, 'failure');
    });

    it('refuses a request whose events claim one id for two repositories, storing none of it', async () => {
      const both = await post([deployment('acme/a', '2'), deployment('acme/b', '2')]);
      assert.equal(both.status, 409, both.text);
      const missing = await http(`${t.url}/v1/deployments/2`);
      assert.equal(missing.status, 404, 'the first event of the refused request was not stored either');
    });

    it("refuses another repository's finding id and artifact digest", async () => {
      const finding = (repo: string) => ({
        type: 'finding',
        id: `own-finding-${repo}`,
        repo,
        findingId: 'F-1',
        kind: 'error',
        severity: 'high',
        title: `crash in ${repo}`,
        environment: 'production',
        commit: sha(repo === 'acme/a' ? 'a' : 'b'),
      });
      assert.equal((await post(finding('acme/a'))).status, 200);
      assert.equal((await post(finding('acme/b'))).status, 409);
      assert.equal((await t.client.finding('F-1')).title, 'crash in acme/a');
      const digest = `sha256:${'d'.repeat(64)}`;
      const artifact = (repo: string) => ({
        type: 'artifact',
        id: `own-artifact-${repo}`,
        repo,
        digest,
        name: `ghcr.io/${repo}`,
        commit: sha(repo === 'acme/a' ? 'a' : 'b'),
      });
      assert.equal((await post(artifact('acme/a'))).status, 200);
      const forged = await post(artifact('acme/b'));
      assert.equal(forged.status, 409, 'another repository cannot claim a digest built from acme/a');
      assert.match(forged.json.detail, /artifact "sha256:d+" belongs to acme\/a/);
      assert.equal((await t.client.artifact(digest)).artifact?.commit, sha('a'));
    });

    it('refuses a claim on an id whose first event is still on its way into the store', async () => {
      // Sent together: the first may be acknowledged from the intake journal before the store has it.
      const [first, second] = await Promise.all([post(deployment('acme/a', '3')), post(deployment('acme/b', '3'))]);
      const statuses = [first.status, second.status].sort();
      assert.deepEqual(statuses, [200, 409], `${first.text} ${second.text}`);
      const owner = first.status === 200 ? 'acme/a' : 'acme/b';
      assert.equal((await t.client.deployment('3')).repo, owner);
    });

    it('keeps the audit chain verifiable through every refusal', async () => {
      const verdict = await t.client.verifyAudit();
      assert.equal(verdict.ok, true, verdict.reason ?? '');
    });

    it('knows the owners again after a restart', async () => {
      const store = t.store;
      await t.close();
      t = await startTestService(backend, {}, store);
      const refused = await post(deployment('acme/b', '1', { note: 'after restart' }));
      assert.equal(refused.status, 409, refused.text);
      assert.equal((await post(deployment('acme/a', '1', { status: 'success', at: '2026-03-02T11:00:00Z' }))).status, 200);
    });
  });
}
