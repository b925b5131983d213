/**
 * Alertmanager's webhook notifications through POST /v1/webhooks/alertmanager: each alert is a
 * finding keyed by its fingerprint, on the artifact and commit its labels name (never guessed),
 * closed by its resolution and opened again when it fires again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backends, fixturesDir, http, startTestService, type TestService } from '../helpers/testService';

const notification = () => JSON.parse(readFileSync(join(fixturesDir(), 'alertmanager/webhook-v4.json'), 'utf8'));
const digest = 'sha256:5d2a1a4c3cf7f3d3c9b7e9aa2f0c3e6c58c3d2f0b0e44c1b3d7a4b0a8e6f9c21';
const commit = 'e'.repeat(40);

function send(t: TestService, body: unknown) {
  return http(`${t.url}/v1/webhooks/alertmanager`, { body: JSON.stringify(body), headers: { authorization: 'Bearer w' } });
}

for (const backend of backends()) {
  describe(`Alertmanager notifications (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;
    beforeEach(async () => {
      t = await startTestService(backend, { writeToken: 'w' });
    });
    afterEach(async () => t?.close());

    it('makes each alert a finding on the artifact its labels name, and keeps one that names nothing orphaned', async () => {
      // The image was built from a commit of acme/shop (what a build or an attestation reports).
      const artifact = await http(`${t.url}/v1/events`, {
        body: JSON.stringify({ type: 'artifact', id: 'shop-image', repo: 'acme/shop', digest, commit, name: 'ghcr.io/acme/shop' }),
        headers: { authorization: 'Bearer w' },
      });
      assert.equal(artifact.status, 200, artifact.text);
      const res = await send(t, notification());
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.events[0].format, 'alertmanager');

      const linked = await t.client.finding('alertmanager:3f2a9d7c1b6e4a58');
      assert.equal(linked.status, 'open');
      assert.equal(linked.kind, 'alert');
      assert.equal(linked.severity, 'medium');
      assert.equal(linked.title, 'Pod is crash looping.');
      assert.equal(linked.environment, 'shop');
      assert.equal(linked.artifact, digest);
      assert.equal(linked.repo, 'acme/shop', 'the repository comes from the artifact');
      assert.equal(linked.commit, commit, 'and the commit');
      assert.match(linked.detail ?? '', /checkout-7d9c8b6f5-x2k4q/);

      const orphan = await t.client.finding('alertmanager:9b41c0e2d5a7f3e6');
      assert.equal(orphan.commit, null);
      assert.equal(orphan.artifact, null);
      assert.equal(orphan.repo, null, 'never force-linked');

      const open = await t.client.findings('acme/shop', { status: 'open' });
      assert.deepEqual(
        open.findings.map((f) => f.id),
        ['alertmanager:3f2a9d7c1b6e4a58'],
      );
      const audit = await t.client.verifyAudit();
      assert.equal(audit.ok, true, audit.reason ?? JSON.stringify(audit.differences));
    });

    it('closes a finding when its alert resolves, and opens it again when it fires again', async () => {
      assert.equal((await send(t, notification())).status, 200);
      const resolved = notification();
      resolved.status = 'resolved';
      resolved.alerts = [{ ...resolved.alerts[1], status: 'resolved', endsAt: '2026-03-04T10:45:00Z' }];
      assert.equal((await send(t, resolved)).status, 200);
      assert.equal((await t.client.finding('alertmanager:9b41c0e2d5a7f3e6')).status, 'resolved');
      assert.equal((await t.client.finding('alertmanager:3f2a9d7c1b6e4a58')).status, 'open');
      // A late copy of the first notification does not reopen it: the resolution is newer.
      const late = notification();
      late.truncatedAlerts = 0;
      late.notification_reason = 'repeat';
      assert.equal((await send(t, late)).status, 200);
      assert.equal((await t.client.finding('alertmanager:9b41c0e2d5a7f3e6')).status, 'resolved');
      const again = notification();
      again.alerts = [{ ...again.alerts[1], startsAt: '2026-03-05T09:00:00Z' }];
      assert.equal((await send(t, again)).status, 200);
      const reopened = await t.client.finding('alertmanager:9b41c0e2d5a7f3e6');
      assert.equal(reopened.status, 'open');
      assert.equal(reopened.detectedAt, '2026-03-05T09:00:00.000Z');
    });

    it('refuses what is not a notification, names a bad alert, and takes the write token only', async () => {
      const notAlerts = await send(t, { hello: 'world' });
      assert.equal(notAlerts.status, 422);
      assert.match(notAlerts.text, /not an Alertmanager webhook notification/);
      const bad = notification();
      delete bad.alerts[1].startsAt;
      const res = await send(t, bad);
      assert.equal(res.status, 422);
      assert.match(res.text, /\/alerts\/1\/startsAt/);
      const unauthorised = await http(`${t.url}/v1/webhooks/alertmanager`, { body: JSON.stringify(notification()) });
      assert.equal(unauthorised.status, 401);
      assert.equal((await t.client.health()).events, 0);
    });
  });
}
