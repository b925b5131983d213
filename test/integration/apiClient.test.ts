/**
 * The API client against a real service and against a small scripted HTTP server (for failures a
 * healthy service does not produce): retries with Retry-After, ETag reuse, typed errors.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, retryAfter } from '../../src/core/sources/apiClient';
import { ApiError } from '../../src/core/sources/apiError';
import { startTestService, type TestService } from '../helpers/testService';
import { syntheticStream } from '../helpers/streams';

type Script = (req: IncomingMessage, res: ServerResponse, n: number) => void;

async function scripted(script: Script): Promise<{ url: string; requests: IncomingMessage[]; server: Server }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    script(req, res, requests.length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

const health = JSON.stringify({ status: 'ok', version: '0.1.0', store: 'embedded', events: 3, dataVersion: '3-abc' });

describe('API client', () => {
  describe('against the real service', () => {
    let t: TestService;
    before(async () => {
      t = await startTestService('embedded');
      await t.client.ingest('events', JSON.stringify(syntheticStream('acme/client', 3)));
    });
    after(async () => t?.close());

    it('answers a repeated read from its cache after a 304', async () => {
      const first = await t.client.environments('acme/client');
      const second = await t.client.environments('acme/client');
      assert.deepEqual(second, first);
      assert.equal(first.environments.length, 3);
    });

    it('pages through deployment history with the cursor', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await t.client.deployments('acme/client', 'production', { limit: 2, cursor });
        seen.push(...page.deployments.map((d) => d.id));
        cursor = page.next ?? undefined;
      } while (cursor);
      const all = await t.client.deployments('acme/client', 'production', { limit: 500 });
      assert.deepEqual(
        seen,
        all.deployments.map((d) => d.id),
      );
      assert.equal(seen.length, 4, 'three releases and a rollback');
    });

    it('splits a very large lineage batch into a few requests and merges the answers', async () => {
      const commits = Array.from({ length: 2500 }, (_, i) => i.toString(16).padStart(40, '0'));
      const lineage = await t.client.lineage('acme/client', commits);
      assert.equal(lineage.commits.length, 2500);
    });

    it('reports the service refusing a bad token as unauthorized', async () => {
      const secured = await startTestService('embedded', { readToken: 'r', writeToken: 'w' });
      const client = new ApiClient({ baseUrl: secured.url, token: 'nope', retries: 0 });
      try {
        await assert.rejects(client.environments('acme/x'), (e) => ApiError.is(e, 'unauthorized'));
      } finally {
        await client.close();
        await secured.close();
      }
    });
  });

  describe('against scripted failures', () => {
    it('retries a 503 after the Retry-After delay, then succeeds', async () => {
      const s = await scripted((_req, res, n) => {
        if (n === 1) {
          res.writeHead(503, { 'retry-after': '1' });
          res.end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(health);
        }
      });
      const client = new ApiClient({ baseUrl: s.url, retries: 2, backoffMs: 10 });
      const started = Date.now();
      try {
        assert.equal((await client.health()).events, 3);
        assert.equal(s.requests.length, 2);
        assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
      } finally {
        await client.close();
        s.server.close();
      }
    });

    it('gives up after its bounded retries, and fails at once on a Retry-After beyond its limit', async () => {
      const s = await scripted((_req, res) => {
        res.writeHead(503, { 'retry-after': '3600' });
        res.end();
      });
      const client = new ApiClient({ baseUrl: s.url, retries: 3, backoffMs: 10 });
      try {
        await assert.rejects(client.health(), (e) => ApiError.is(e, 'server'));
        assert.equal(s.requests.length, 1, 'an hour-long Retry-After is not waited out');
      } finally {
        await client.close();
        s.server.close();
      }
      const t = await scripted((_req, res) => {
        res.writeHead(502);
        res.end();
      });
      const bounded = new ApiClient({ baseUrl: t.url, retries: 2, backoffMs: 5 });
      try {
        await assert.rejects(bounded.health(), (e) => ApiError.is(e, 'server'));
        assert.equal(t.requests.length, 3);
      } finally {
        await bounded.close();
        t.server.close();
      }
    });

    it('does not retry a request the service rejected', async () => {
      const s = await scripted((_req, res) => {
        res.writeHead(422, { 'content-type': 'application/problem+json' });
        res.end(
          JSON.stringify({
            type: 'urn:x',
            title: 'bad',
            status: 422,
            detail: 'nope',
            errors: [{ pointer: '/0/commit', reason: 'bad sha' }],
          }),
        );
      });
      const client = new ApiClient({ baseUrl: s.url, retries: 3, backoffMs: 5 });
      try {
        await assert.rejects(client.ingest('events', '[]'), (e) => ApiError.is(e, 'rejected') && /\/0\/commit: bad sha/.test(e.message));
        assert.equal(s.requests.length, 1);
      } finally {
        await client.close();
        s.server.close();
      }
    });

    it('names the offending field of an invalid response', async () => {
      const s = await scripted((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok', version: '1', store: 'embedded', events: 'many', dataVersion: 'x' }));
      });
      const client = new ApiClient({ baseUrl: s.url, retries: 0 });
      try {
        await assert.rejects(client.health(), (e) => ApiError.is(e, 'invalidResponse') && e.field === 'events');
      } finally {
        await client.close();
        s.server.close();
      }
    });

    it('sends If-None-Match and reuses the cached body on 304', async () => {
      const s = await scripted((req, res) => {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"' });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' });
        res.end(health);
      });
      const client = new ApiClient({ baseUrl: s.url, retries: 0 });
      try {
        const a = await client.health();
        const b = await client.health();
        assert.deepEqual(b, a);
        assert.equal(s.requests[1]!.headers['if-none-match'], '"v1"');
      } finally {
        await client.close();
        s.server.close();
      }
    });

    it('classifies a closed port as unreachable and a silent server as a timeout', async () => {
      const s = await scripted(() => undefined);
      const port = new URL(s.url).port;
      const silent = new ApiClient({ baseUrl: s.url, retries: 0, timeoutMs: 300 });
      try {
        await assert.rejects(silent.health(), (e) => ApiError.is(e, 'timeout'));
      } finally {
        await silent.close();
        s.server.closeAllConnections();
        s.server.close();
      }
      await new Promise((r) => setTimeout(r, 50));
      const down = new ApiClient({ baseUrl: `http://127.0.0.1:${port}`, retries: 1, backoffMs: 5 });
      try {
        await assert.rejects(down.health(), (e) => ApiError.is(e, 'unreachable') && /cannot reach/.test(e.message));
      } finally {
        await down.close();
      }
    });

    it('refuses a base URL that is not http(s)', () => {
      assert.throws(
        () => new ApiClient({ baseUrl: 'file:///etc/passwd' }),
        (e) => ApiError.is(e, 'unreachable'),
      );
      assert.throws(() => new ApiClient({ baseUrl: 'not a url' }), /not a URL/);
    });
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfter('2'), 2000);
    assert.equal(retryAfter(undefined), null);
    assert.equal(retryAfter('soon'), null);
    const inFive = new Date(Date.now() + 5000).toUTCString();
    const ms = retryAfter(inFive)!;
    assert.ok(ms > 3000 && ms <= 5000, String(ms));
  });
});
