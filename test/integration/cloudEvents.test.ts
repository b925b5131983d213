/**
 * CDEvents in CloudEvents over HTTP, as the CloudEvents SDK sends them (binary, structured and
 * batch mode), around the CDEvents conformance events: the CDEvent's own id keeps idempotency
 * across modes, and envelopes that are not CDEvents are refused with the reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudEvent, HTTP } from 'cloudevents';
import { backends, fixturesDir, http, startTestService, type TestService } from '../helpers/testService';

const conformance = (name: string) => JSON.parse(readFileSync(join(fixturesDir(), 'cdevents/conformance', `${name}.json`), 'utf8'));
const keyOf = (e: any) => `cdevents:${e.context.source}:${e.context.type}:${e.context.id}`;

/** A CDEvent as the CDEvents SDKs send it: the whole event as data, its source and type on the envelope. */
function envelope(cdevent: any, extra: Record<string, unknown> = {}): CloudEvent<unknown> {
  return new CloudEvent({
    type: cdevent.context.type,
    source: cdevent.context.source,
    subject: cdevent.subject.id,
    data: cdevent,
    ...extra,
  });
}

function send(t: TestService, message: { headers: Record<string, unknown>; body: unknown }) {
  return http(`${t.url}/v1/events`, { body: String(message.body), headers: message.headers as Record<string, string> });
}

for (const backend of backends()) {
  describe(`CDEvents in CloudEvents (${backend} store)`, function () {
    this.timeout(60_000);
    let t: TestService;
    beforeEach(async () => {
      t = await startTestService(backend);
    });
    afterEach(async () => t?.close());

    it('reads binary, structured and batch mode, and the CDEvent is one event whichever envelope it came in', async () => {
      const deployed = conformance('service_deployed');
      const binary = await send(t, HTTP.binary(envelope(deployed)));
      assert.equal(binary.status, 200, binary.text);
      assert.deepEqual(binary.json.events, [{ key: keyOf(deployed), format: 'cdevents', status: 'stored' }]);
      const stored = await t.client.event(keyOf(deployed));
      assert.deepEqual(stored.raw, deployed, 'the CDEvent is kept, not its envelope');

      // The same CDEvent in a new envelope (another CloudEvent id, structured mode) is a duplicate.
      const structured = await send(t, HTTP.structured(envelope(deployed)));
      assert.equal(structured.status, 200, structured.text);
      assert.equal(structured.json.duplicates, 1);

      const batch = ['build_finished', 'artifact_published', 'service_rolledback'].map(conformance);
      const body = JSON.stringify(batch.map((e) => JSON.parse(String(HTTP.structured(envelope(e)).body))));
      const res = await http(`${t.url}/v1/events`, { body, headers: { 'content-type': 'application/cloudevents-batch+json' } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        res.json.events.map((e: any) => e.key),
        batch.map(keyOf),
      );

      // A structured CloudEvent sent as plain JSON, with its data base64-encoded.
      const upgraded = conformance('service_upgraded');
      const plain = JSON.parse(String(HTTP.structured(envelope(upgraded)).body));
      plain.data_base64 = Buffer.from(JSON.stringify(upgraded)).toString('base64');
      delete plain.data;
      const asJson = await http(`${t.url}/v1/events`, { body: JSON.stringify(plain) });
      assert.equal(asJson.status, 200, asJson.text);
      assert.equal(asJson.json.events[0].key, keyOf(upgraded));

      // What arrived is what the service reads: the rollback is a rollback of the deployed artifact.
      const digest = decodeURIComponent(deployed.subject.content.artifactId.split('@')[1]);
      const artifact = await t.client.artifact(digest);
      assert.ok(artifact.deployments.some((d) => d.kind === 'rollback'));
      const audit = await t.client.verifyAudit();
      assert.equal(audit.ok, true, audit.reason ?? '');
      assert.equal(audit.entries, 5);
    });

    it('refuses envelopes that carry no CDEvent, or another than they say, and stores nothing of a bad batch', async () => {
      const deployed = conformance('service_deployed');
      const cases: [string, { headers: Record<string, unknown>; body: unknown }, RegExp][] = [
        [
          'another kind of CloudEvent',
          HTTP.binary(new CloudEvent({ type: 'com.github.pull.create', source: '/gh', data: { number: 1 } })),
          /type \\"com.github.pull.create\\" is not a CDEvent/,
        ],
        [
          'a type that disagrees with the CDEvent',
          HTTP.binary(envelope(deployed, { type: 'dev.cdevents.build.finished.0.1.1' })),
          /but the CDEvent inside is/,
        ],
        [
          'data that is not a CDEvent',
          HTTP.structured(new CloudEvent({ type: deployed.context.type, source: '/x', data: { hello: 1 } })),
          /not a CDEvent/,
        ],
        [
          'a binary message without its id and source',
          {
            headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-type': deployed.context.type },
            body: JSON.stringify(deployed),
          },
          /not a valid CloudEvent/,
        ],
      ];
      for (const [what, message, reason] of cases) {
        const res = await send(t, message);
        assert.equal(res.status, 422, `${what}: ${res.text}`);
        assert.match(res.text, reason, what);
      }
      const good = JSON.parse(String(HTTP.structured(envelope(deployed)).body));
      const bad = JSON.parse(
        String(HTTP.structured(new CloudEvent({ type: 'dev.cdevents.build.finished.0.1.1', source: '/x', data: { hello: 1 } })).body),
      );
      const res = await http(`${t.url}/v1/events`, {
        body: JSON.stringify([good, bad]),
        headers: { 'content-type': 'application/cloudevents-batch+json' },
      });
      assert.equal(res.status, 422, res.text);
      assert.match(res.text, /\/1\/data/);
      assert.equal((await t.client.health()).events, 0, 'a batch is all or nothing');
    });
  });
}
