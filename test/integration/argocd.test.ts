/**
 * Argo CD through POST /v1/webhooks/argocd, on an Application Argo CD keeps in its own test data
 * (test/fixtures/argocd), sent as the notifications controller sends `{{toJson .app}}`: its syncs
 * become deployments in Argo CD's order, a sync back to an earlier revision is a rollback, health
 * is a finding, images with digests are artifacts, and `lineage blame` sees where a line runs.
 * The multi-source, rollback and degraded cases are that Application changed the way its CRD
 * allows (history[].revisions and sources, another revision, health Degraded).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { backends, fixturesDir, http, startTestService, type TestService } from '../helpers/testService';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';

const fixture = (name: string) => parse(readFileSync(join(fixturesDir(), 'argocd', name), 'utf8'));
const revision = 'ea8759964626a583667a2bfd08f334ec2070040a';
const other = '1'.repeat(40);

function send(t: TestService, body: unknown, headers: Record<string, string> = {}) {
  return http(`${t.url}/v1/webhooks/argocd`, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
}

for (const backend of backends()) {
  describe(`Argo CD notifications (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;
    beforeEach(async () => {
      t = await startTestService(backend, {
        argocdToken: 'argocd-notifications-token',
        writeToken: 'write-token',
        readToken: 'read-token',
      });
    });
    afterEach(async () => t?.close());
    const auth = { authorization: 'Bearer argocd-notifications-token' };

    it("records each sync of a real Application as a deployment of its revision, in Argo CD's order", async () => {
      const app = fixture('application-plugin-history.yaml');
      const res = await send(t, app, auth);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.events[0].format, 'argocd');
      const environment = 'gke-alpha-01-europe-west1/test-lla';
      const envs = await t.client.environments('foo/manifests-velero');
      const env = envs.environments.find((e) => e.name === environment)!;
      assert.ok(env, JSON.stringify(envs));
      const uid = app.metadata.uid as string;
      assert.equal(env.deployment!.id, `argocd:argo-cd/velero-test:${uid}:23`);
      assert.equal(env.deployment!.commit, revision);
      assert.equal(env.deployment!.at, new Date('2024-03-05T07:33:04Z').toISOString());
      assert.equal(env.deployment!.service, 'velero-test');
      const history = await t.client.deployments('foo/manifests-velero', environment, { limit: 50 });
      assert.deepEqual(
        history.deployments.map((d) => d.sequence),
        [23, 22, 21, 20, 19, 18, 17, 16, 15, 14],
      );
      assert.ok(
        history.deployments.every((d) => d.kind === 'deploy'),
        'a re-sync of the same revision is no rollback',
      );
      // Healthy: the Application's health finding exists, resolved.
      const health = await http(`${t.url}/v1/findings/${encodeURIComponent(`argocd:argo-cd/velero-test:${uid}:health`)}`, {
        headers: { authorization: 'Bearer write-token' },
      });
      assert.equal(health.status, 200, health.text);
      assert.equal(health.json.status, 'resolved');
      // The same Application sent again is the same event; the audit chain re-derives it.
      assert.equal((await send(t, app, auth)).json.duplicates, 1);
      const audit = await t.client.verifyAudit();
      assert.equal(audit.ok, true, audit.reason ?? JSON.stringify(audit.differences));
    });

    it('calls a sync back to an earlier revision a rollback, reads multi-source entries, and takes the environment annotation', async () => {
      const app = fixture('application-plugin-history.yaml');
      app.metadata.annotations['code-lineage.dev/environment'] = 'production';
      const history = app.status.history as any[];
      history[8].revision = other; // id 22 ran another revision; 23 went back to the one before
      // A multi-source entry (Argo CD 2.6+): revisions[] beside sources[]; the git one counts.
      history[9] = {
        ...history[9],
        revisions: ['1.2.3', revision],
        sources: [{ repoURL: 'https://charts.example.com', chart: 'velero' }, history[9].source],
      };
      delete history[9].revision;
      delete history[9].source;
      history[9].initiatedBy = { username: 'rita@example.com' };
      history[7].initiatedBy = { automated: true };
      assert.equal((await send(t, app, auth)).status, 200);
      const deployments = (await t.client.deployments('foo/manifests-velero', 'production', { limit: 50 })).deployments;
      const bySequence = new Map(deployments.map((d) => [d.sequence, d]));
      assert.equal(bySequence.get(22)!.commit, other);
      assert.equal(bySequence.get(22)!.kind, 'deploy');
      assert.equal(bySequence.get(23)!.kind, 'rollback');
      assert.equal(bySequence.get(23)!.commit, revision, 'the git revision of a multi-source entry');
      assert.equal(bySequence.get(23)!.actor, 'rita@example.com');
      assert.equal(bySequence.get(21)!.actorType, 'bot');
    });

    it('opens a finding on the deployment when the Application degrades, and resolves it when healthy again', async () => {
      const app = fixture('application-plugin-history.yaml');
      const digest = `sha256:${'ab'.repeat(32)}`;
      app.status.summary.images = [`ghcr.io/acme/velero@${digest}`];
      app.status.health = {
        status: 'Degraded',
        message: 'Deployment "test-lla" exceeded its progress deadline',
        lastTransitionTime: '2024-03-05T08:00:00Z',
      };
      assert.equal((await send(t, app, auth)).status, 200);
      const id = `argocd:argo-cd/velero-test:${app.metadata.uid}:health`;
      const finding = await t.client.finding(id);
      assert.equal(finding.status, 'open');
      assert.equal(finding.environment, 'gke-alpha-01-europe-west1/test-lla');
      assert.equal(finding.commit, revision);
      assert.match(finding.title, /velero-test is Degraded/);
      const artifact = await t.client.artifact(digest);
      assert.deepEqual(
        artifact.deployments.map((d) => d.sequence),
        [23],
        'the running images are the newest sync\u2019s',
      );

      app.status.health = { status: 'Healthy', lastTransitionTime: '2024-03-05T08:10:00Z' };
      assert.equal((await send(t, app, auth)).status, 200);
      assert.equal((await t.client.finding(id)).status, 'resolved');
    });

    it('takes its own token or the write token, nothing else, and refuses what is not an Application', async () => {
      const app = fixture('application-plugin-history.yaml');
      assert.equal((await send(t, app)).status, 401);
      assert.equal((await send(t, app, { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await send(t, app, { authorization: 'Bearer write-token' })).status, 200);
      // The Argo CD token opens this route alone.
      const events = await http(`${t.url}/v1/events`, { body: '{"type":"build","id":"x"}', headers: auth });
      assert.equal(events.status, 401);
      const reads = await http(`${t.url}/v1/repos/foo/manifests-velero/environments`, { headers: auth });
      assert.equal(reads.status, 401);

      const nameless = await send(t, fixture('application-degraded.yaml'), auth);
      assert.equal(nameless.status, 422);
      assert.match(nameless.text, /\/metadata\/name/);
      const notApp = await send(t, { kind: 'Deployment', apiVersion: 'apps/v1' }, auth);
      assert.equal(notApp.status, 422);
      assert.match(notApp.text, /not an Argo CD Application/);
      const wrapped = await send(t, { app }, auth);
      assert.equal(wrapped.status, 200, 'an Application under "app" is read too');
    });

    it('shows in `lineage blame` where a line runs after Argo CD synced its commit', async () => {
      const repo = TestRepo.init('acme/shop');
      repo.write('app.js', ['export const price = 42;']);
      const commit = repo.commit('price');
      const app = fixture('application-plugin-history.yaml');
      app.metadata.annotations['code-lineage.dev/environment'] = 'production';
      app.status.history = [
        {
          ...app.status.history[9],
          revision: commit,
          source: { ...app.status.history[9].source, repoURL: 'https://github.com/acme/shop.git' },
        },
      ];
      assert.equal((await send(t, app, auth)).status, 200);
      const blame = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--api', t.url, '--token', 'write-token']);
      assert.equal(blame.status, 0, blame.stderr);
      const env = blame.json.lines[0].environments.find((e: any) => e.name === 'production');
      assert.equal(env.live, true);
      assert.match(env.since.deploymentId, /^argocd:argo-cd\/velero-test:.*:23$/);
    });
  });
}

describe('the Argo CD notifications recipe', () => {
  it('posts the whole Application to the webhook path with the token as a bearer, on syncs and health changes', () => {
    const cm = parse(readFileSync(join(__dirname, '../../docs/deploy/argocd-notifications-cm.yaml'), 'utf8'));
    assert.equal(cm.kind, 'ConfigMap');
    assert.equal(cm.metadata.name, 'argocd-notifications-cm');
    const service = parse(cm.data['service.webhook.code-lineage']);
    assert.match(service.url, /\/v1\/webhooks\/argocd$/);
    assert.deepEqual(
      service.headers.find((h: any) => h.name === 'Authorization'),
      { name: 'Authorization', value: 'Bearer $code-lineage-token' },
    );
    const template = parse(cm.data['template.code-lineage-application']);
    assert.equal(template.webhook['code-lineage'].method, 'POST');
    assert.equal(template.webhook['code-lineage'].body.trim(), '{{toJson .app}}');
    for (const trigger of ['trigger.code-lineage-on-deployed', 'trigger.code-lineage-on-health']) {
      const conditions = parse(cm.data[trigger]);
      assert.ok(conditions.length >= 2, trigger);
      for (const c of conditions) assert.deepEqual(c.send, ['code-lineage-application'], trigger);
    }
  });
});
