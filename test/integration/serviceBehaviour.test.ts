/**
 * The service's guarantees over real HTTP: idempotency and order-independence, all-or-nothing
 * batches, problem documents for bad input, access tokens, webhook signatures, persistence across
 * restarts and a tamper-evident audit log.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backends, http, startTestService, type TestService } from '../helpers/testService';
import { syntheticStream, snapshot } from '../helpers/streams';
import { webhookExample } from '../helpers/webhookExamples';
import { forgeRaw } from '../helpers/storedEvents';

for (const backend of backends()) {
  describe(`service behaviour (${backend} store)`, function () {
    describe('idempotency and ordering', () => {
      let a: TestService;
      let b: TestService;
      before(async () => {
        [a, b] = await Promise.all([startTestService(backend), startTestService(backend)]);
      });
      after(async () => {
        await a?.close();
        await b?.close();
      });

      it('stores a replayed stream once and converges whatever the delivery order', async () => {
        const stream = syntheticStream('acme/orders', 7);
        const first = await http(`${a.url}/v1/events`, { body: JSON.stringify(stream) });
        assert.equal(first.status, 200, first.text);
        assert.equal(first.json.accepted, stream.length);
        const replay = await http(`${a.url}/v1/events`, { body: JSON.stringify(stream) });
        assert.equal(replay.json.accepted, 0);
        assert.equal(replay.json.duplicates, stream.length);

        // The same events, shuffled and sent one request each, some of them twice.
        const shuffled = [...stream].sort(() => Math.random() - 0.5);
        for (const event of [...shuffled, ...shuffled.slice(0, 5)]) {
          const res = await http(`${b.url}/v1/events`, { body: JSON.stringify(event) });
          assert.equal(res.status, 200, res.text);
        }
        const commits = stream.filter((e: any) => e.commit).map((e: any) => e.commit as string);
        assert.deepEqual(await snapshot(b.client, 'acme/orders', commits), await snapshot(a.client, 'acme/orders', commits));
        assert.equal((await a.client.health()).events, stream.length);
        assert.equal((await b.client.health()).events, stream.length);
      });

      it('writes nothing from a batch with one bad event, and names the field', async () => {
        const before = (await a.client.health()).events;
        const batch = syntheticStream('acme/batch', 3).slice(0, 6);
        (batch[3] as any).commit = 'not-a-sha';
        const res = await http(`${a.url}/v1/events`, { body: JSON.stringify(batch) });
        assert.equal(res.status, 422);
        assert.equal(res.headers.get('content-type'), 'application/problem+json');
        assert.equal(res.json.status, 422);
        assert.match(res.json.detail, /nothing was stored/);
        assert.ok(
          res.json.errors.some((e: any) => e.pointer === '/3/commit'),
          JSON.stringify(res.json.errors),
        );
        assert.equal((await a.client.health()).events, before, 'nothing was written');
        const envs = await a.client.environments('acme/batch');
        assert.equal(envs.environments.length, 0);
      });
    });

    describe('bad input', () => {
      let t: TestService;
      before(async () => {
        t = await startTestService(backend, { maxBodyBytes: 64 * 1024 });
      });
      after(async () => t?.close());

      const cases: [string, string, string | Buffer, Record<string, string>, number, RegExp][] = [
        ['invalid JSON', '/v1/events', '{"type": "build",', {}, 400, /not valid JSON/],
        ['an empty body', '/v1/events', '', {}, 400, /empty/],
        ['an unknown format', '/v1/events', '{"hello": "world"}', {}, 422, /unrecognised event/],
        ['an unknown native type', '/v1/events', '{"type": "teleport", "id": "x"}', {}, 422, /unknown event type/],
        [
          'a wrong type',
          '/v1/events',
          JSON.stringify({ type: 'deployment', id: 'd', deploymentId: '1', environment: 'prod', commit: 'a'.repeat(40), at: 'yesterday' }),
          {},
          422,
          /timestamp/,
        ],
        ['SARIF on the events endpoint', '/v1/events', JSON.stringify({ version: '2.1.0', runs: [] }), {}, 422, /POST \/v1\/sarif/],
        ['a non-JSON content type', '/v1/events', '<xml/>', { 'content-type': 'application/xml' }, 415, /expected JSON/],
        ['a bad commit on SARIF upload', '/v1/sarif?commit=xyz', JSON.stringify({ version: '2.1.0', runs: [] }), {}, 400, /commit/],
        ['a SARIF 1.0 log', '/v1/sarif', JSON.stringify({ version: '1.0.0', runs: [] }), {}, 422, /2\.1\.0/],
        ['a non-statement attestation', '/v1/attestations', JSON.stringify({ hello: 1 }), {}, 422, /in-toto/],
        ['a webhook without its event name', '/v1/webhooks/github', '{}', {}, 400, /X-GitHub-Event/],
        [
          'an event not read whose body is one that is',
          '/v1/webhooks/github',
          JSON.stringify({ ref: 'refs/heads/main', before: 'a'.repeat(40), after: 'b'.repeat(40), commits: [] }),
          { 'x-github-event': 'star' },
          422,
          /the body is a push event/,
        ],
        ['an oversized body', '/v1/events', Buffer.alloc(100 * 1024, 'a'), {}, 413, /limit/],
        [
          "an integer beyond PostgreSQL's int",
          '/v1/events',
          JSON.stringify({ type: 'pull_request', id: 'big', repo: 'acme/x', number: 99999999999, state: 'open' }),
          {},
          422,
          /number: 99999999999 is out of range/,
        ],
        [
          'a line beyond range',
          '/v1/events',
          JSON.stringify({
            type: 'finding',
            id: 'fl',
            repo: 'acme/x',
            findingId: 'f',
            kind: 'error',
            severity: 'high',
            title: 't',
            locations: [{ path: 'a.js', line: 2 ** 40 }],
          }),
          {},
          422,
          /out of range/,
        ],
        [
          'a NUL character',
          '/v1/events',
          JSON.stringify({
            type: 'deployment',
            id: 'nul',
            repo: 'acme/x',
            deploymentId: 'd\u0000',
            environment: 'prod',
            commit: 'a'.repeat(40),
            at: '2026-01-01T00:00:00Z',
          }),
          {},
          422,
          /NUL/,
        ],
        [
          'a NUL in an event id',
          '/v1/events',
          JSON.stringify({ type: 'commit', id: 'a\u0000b', repo: 'acme/x', sha: 'a'.repeat(40) }),
          {},
          422,
          /NUL/,
        ],
        [
          'a time beyond year 9999',
          '/v1/events',
          JSON.stringify({
            type: 'deployment',
            id: 'far',
            repo: 'acme/x',
            deploymentId: 'far',
            environment: 'prod',
            commit: 'a'.repeat(40),
            at: '+275760-09-13T00:00:00.000Z',
          }),
          {},
          422,
          /out of range|timestamp/,
        ],
        [
          'a GitHub time beyond what a date holds',
          '/v1/webhooks/github',
          JSON.stringify({
            ref: 'refs/heads/main',
            before: '0'.repeat(40),
            after: 'a'.repeat(40),
            commits: [{ id: 'a'.repeat(40), message: 'm', timestamp: 1e20 }],
            repository: { full_name: 'acme/x', pushed_at: 1e300 },
          }),
          { 'x-github-event': 'push' },
          200,
          /./,
        ],
        ['JSON nested 20,000 deep', '/v1/events', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, {}, 400, /nests deeper than 64 levels/],
        [
          'JSON Lines nested too deep',
          '/v1/attestations',
          `{}\n${'{"a":'.repeat(70)}1${'}'.repeat(70)}`,
          { 'content-type': 'application/x-ndjson' },
          400,
          /line 2 nests deeper/,
        ],
        ['a form post', '/v1/events', 'payload=%7B%7D', { 'content-type': 'application/x-www-form-urlencoded' }, 415, /expected JSON/],
        [
          'text/plain, as a web page may send',
          '/v1/events',
          '{"type":"commit","id":"c","repo":"acme/x","sha":"' + 'a'.repeat(40) + '"}',
          { 'content-type': 'text/plain' },
          415,
          /cannot send cross-site/,
        ],
      ];
      for (const [what, path, body, headers, status, detail] of cases) {
        it(`answers ${what} with ${status} and a problem document`, async () => {
          const res = await http(`${t.url}${path}`, { body, headers });
          assert.equal(res.status, status, res.text);
          if (status === 200) return;
          assert.equal(res.headers.get('content-type'), 'application/problem+json');
          assert.match(`${res.json.detail} ${JSON.stringify(res.json.errors ?? [])}`, detail);
          assert.match(res.json.type, /^urn:code-lineage:problem:/);
        });
      }

      it('rejects bad query parameters and unknown paths', async () => {
        assert.equal((await http(`${t.url}/v1/repos/acme/x/findings?status=maybe`)).status, 400);
        assert.equal((await http(`${t.url}/v1/repos/acme/x/environments/prod/deployments?limit=0`)).status, 400);
        assert.equal((await http(`${t.url}/v1/repos/acme/x/environments/prod/deployments?cursor=garbage`)).status, 400);
        assert.equal((await http(`${t.url}/v1/artifacts/sha256:nothex`)).status, 400);
        assert.equal((await http(`${t.url}/v1/findings/nope`)).status, 404);
        assert.equal((await http(`${t.url}/v1/nothing`)).status, 404);
        const wrongMethod = await http(`${t.url}/v1/sarif`, { method: 'PUT', body: '{}' });
        assert.equal(wrongMethod.status, 405);
        assert.equal(wrongMethod.headers.get('allow'), 'POST');
        for (const path of [
          '/v1/repos/ac%E0%A4%A/x/environments',
          '/v1/repos/acme/x/environments/%E0%A4%A/deployments',
          '/v1/deployments/%E0%A4%A',
          '/v1/findings/%ZZ',
          '/v1/artifacts/%E0%A4%A',
        ]) {
          const bad = await http(`${t.url}${path}`);
          assert.equal(bad.status, 400, `${path}: ${bad.text}`);
          assert.match(bad.json.detail, /malformed %-escape/);
        }
        assert.equal((await http(`${t.url}/v1/repos/acme/x/environments/prod/deployments?cursor=%E0%A4%A`)).status, 400);
        const lineage = await http(`${t.url}/v1/repos/acme/x/lineage`, { body: JSON.stringify({ commits: ['abc'] }) });
        assert.equal(lineage.status, 422);
        assert.equal(lineage.json.errors[0].pointer, '/commits/0');
      });

      it('stays up after all of it', async () => {
        const health = await t.client.health();
        assert.equal(health.status, 'ok');
        assert.equal(health.events, 1, 'no bad input stored anything (the push with an impossible time is stored without it)');
        assert.equal((await t.client.verifyAudit()).ok, true);
      });
    });

    describe('access', () => {
      let t: TestService;
      before(async () => {
        t = await startTestService(backend, { readToken: 'read-secret', writeToken: 'write-secret', githubSecret: 'hook-secret' });
      });
      after(async () => t?.close());
      const event = JSON.stringify({ type: 'build', id: 'b1', repo: 'acme/a', buildId: 'b1', commit: 'c'.repeat(40) });

      it('needs the write token to ingest', async () => {
        assert.equal((await http(`${t.url}/v1/events`, { body: event })).status, 401);
        assert.equal((await http(`${t.url}/v1/events`, { body: event, headers: { authorization: 'Bearer read-secret' } })).status, 401);
        assert.equal((await http(`${t.url}/v1/events`, { body: event, headers: { authorization: 'Bearer write-secret' } })).status, 200);
      });

      it('needs the read token (or the write token) to query, never the write token alone', async () => {
        const path = `${t.url}/v1/repos/acme/a/environments`;
        const missing = await http(path);
        assert.equal(missing.status, 401);
        assert.match(missing.headers.get('www-authenticate') ?? '', /Bearer/);
        assert.equal((await http(path, { headers: { authorization: 'Bearer wrong' } })).status, 401);
        assert.equal((await http(path, { headers: { authorization: 'Bearer read-secret' } })).status, 200);
        assert.equal((await http(path, { headers: { authorization: 'Bearer write-secret' } })).status, 200);
      });

      it('verifies X-Hub-Signature-256 on webhooks', async () => {
        const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
        const sign = (secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
        const headers = { 'x-github-event': 'ping', 'x-github-delivery': 'ping-1' };
        assert.equal((await http(`${t.url}/v1/webhooks/github`, { body, headers })).status, 401, 'unsigned');
        const forged = await http(`${t.url}/v1/webhooks/github`, { body, headers: { ...headers, 'x-hub-signature-256': sign('wrong') } });
        assert.equal(forged.status, 401);
        assert.match(forged.json.detail, /does not match/);
        const good = await http(`${t.url}/v1/webhooks/github`, {
          body,
          headers: { ...headers, 'x-hub-signature-256': sign('hook-secret') },
        });
        assert.equal(good.status, 200, good.text);
      });

      it('stores a signed delivery once, whatever delivery id or event name it is replayed under', async () => {
        const example = webhookExample('deployment_status');
        const body = JSON.stringify({ ...example, repository: { ...example.repository, full_name: 'acme/replayed' } });
        const signature = `sha256=${createHmac('sha256', 'hook-secret').update(body).digest('hex')}`;
        const send = (event: string, delivery: string) =>
          http(`${t.url}/v1/webhooks/github`, {
            body,
            headers: { 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': signature },
          });
        const first = await send('deployment_status', 'delivery-1');
        assert.equal(first.status, 200, first.text);
        assert.equal(first.json.accepted, 1);
        const before = (await http(`${t.url}/v1/health`)).json.events;
        const replayed = await send('deployment_status', 'delivery-2');
        assert.equal(replayed.status, 200, replayed.text);
        assert.deepEqual([replayed.json.accepted, replayed.json.duplicates], [0, 1]);
        assert.equal(replayed.json.events[0].key, first.json.events[0].key);
        for (const other of ['deployment', 'pull_request', 'ping']) {
          const renamed = await send(other, 'delivery-3');
          assert.equal(renamed.status, 422, `${other}: ${renamed.text}`);
          assert.equal(renamed.json.errors[0].reason, `X-GitHub-Event says "${other}", but the body is a deployment_status event`);
        }
        assert.equal((await http(`${t.url}/v1/health`)).json.events, before, 'no audit entry added');
      });

      it('refuses to listen beyond loopback without tokens', async () => {
        await assert.rejects(startTestService(backend, { host: '0.0.0.0' }), /refusing to listen on 0\.0\.0\.0/);
      });
    });

    describe('persistence and the audit log', () => {
      it('keeps every event across a restart on the same store, with the chain intact', async () => {
        const first = await startTestService(backend);
        const stream = syntheticStream('acme/restart', 5);
        await first.client.ingest('events', JSON.stringify(stream));
        const commits = stream.filter((e: any) => e.commit).map((e: any) => e.commit as string);
        const before = await snapshot(first.client, 'acme/restart', commits);
        await first.close();
        const second = await startTestService(backend, {}, first.store);
        try {
          assert.deepEqual(await snapshot(second.client, 'acme/restart', commits), before);
          const audit = await second.client.verifyAudit();
          assert.equal(audit.ok, true);
          assert.equal(audit.entries, stream.length);
          const again = await second.client.ingest('events', JSON.stringify(stream));
          assert.equal(again.accepted, 0, 'events from before the restart are still known');
        } finally {
          await second.close();
        }
      });

      it('names the first broken link when a stored event is altered', async () => {
        const t = await startTestService(backend);
        try {
          await t.client.ingest('events', JSON.stringify(syntheticStream('acme/tamper', 3)));
          assert.equal((await t.client.verifyAudit()).ok, true);
          const victim = await t.service.db.query<{ key: string; audit_seq: number | string }>(
            'SELECT key, audit_seq FROM events ORDER BY audit_seq LIMIT 1 OFFSET 4',
          );
          const { key, audit_seq } = victim.rows[0]!;
          await forgeRaw(t.service.db, key, (raw) => raw.replaceAll('ci-bot', 'mallory'));
          const audit = await t.client.verifyAudit();
          assert.equal(audit.ok, false);
          assert.equal(audit.brokenAt, Number(audit_seq));
          assert.match(audit.reason ?? '', /no longer matches/);
        } finally {
          await t.close();
        }
      });
    });
  });
}

describe('embedded store location', () => {
  it('creates the data folder when it does not exist', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lineage-new-')), 'nested', 'data');
    const t = await startTestService('embedded', {}, { dataDir: dir });
    try {
      assert.equal((await t.client.health()).store, 'embedded');
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
