/**
 * Offline, every wait is bounded: a source that cannot be connected to (a black-hole port on
 * loopback, as an offline host behaves) costs a few seconds once, the answer falls back to git
 * with the reason in one line, and a refused connection costs nothing.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { GitHubClient } from '../../src/core/sources/github/githubClient';
import { GitHubError } from '../../src/core/sources/github/githubError';
import { startBlackHole, type BlackHole } from '../helpers/blackHole';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';

/** Far below the 16 to 91 seconds a command waited before connections were bounded, and above the 2 s a connection is given. */
const bound = 8000;

async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('offline, every wait is bounded', function () {
  this.timeout(60_000);
  let hole: BlackHole;
  let repo: TestRepo;
  before(async () => {
    hole = await startBlackHole();
    repo = TestRepo.init('acme/offline');
    repo.write('app.js', ['export const a = 1;', 'export const b = 2;']);
    repo.commit('first');
  });
  after(() => {
    hole?.close();
    repo?.dispose();
  });

  const timed = async (args: string[], env: Record<string, string> = {}) => {
    const started = Date.now();
    const r = await runLineage(repo.dir, args, undefined, env);
    return { ...r, ms: Date.now() - started };
  };

  it('blame falls back to git when the service cannot be connected to, saying so in one line', async () => {
    const r = await timed(['blame', 'app.js', '--json', '--api', hole.url]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.ms < bound, `took ${r.ms} ms`);
    assert.match(r.stderr, /cannot reach the service at http:\/\/127\.0\.0\.1:\d+ \(no connection within 2 s\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.json.lines.length, 2);
  });

  it('blame through GitHub falls back to git as quickly, and a refused connection at once', async () => {
    const env = { GITHUB_TOKEN: 'a-token' };
    const r = await timed(['blame', 'app.js', '--json', '--source', 'github', '--github-url', hole.url], env);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.ms < bound, `took ${r.ms} ms`);
    assert.match(r.stderr, /cannot reach 127\.0\.0\.1:\d+ \(no connection within 2 s/);
    const refused = await timed(['blame', 'app.js', '--json', '--source', 'github', '--github-url', await closedPort()], env);
    assert.equal(refused.status, 0, refused.stderr);
    assert.match(refused.stderr, /ECONNREFUSED/);
    assert.ok(refused.ms < bound / 2, `took ${refused.ms} ms`);
  });

  it('doctor says GitHub cannot be reached within the bound, however many questions it has', async () => {
    const r = await timed(['doctor', '--source', 'github', '--github-url', hole.url], { GITHUB_TOKEN: 'a-token' });
    assert.ok(r.ms < bound, `took ${r.ms} ms: ${r.stdout}`);
    assert.match(r.stdout + r.stderr, /cannot reach 127\.0\.0\.1/);
  });

  it('asks GitHub once more after an answer that failed (502), and no more', async () => {
    let requests = 0;
    let failures = 1;
    const server = createHttpServer((_req, res) => {
      requests++;
      if (failures-- > 0) {
        res.writeHead(502).end('bad gateway');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resources: {} }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = new GitHubClient({ baseUrl, token: 'a-token' });
      assert.deepEqual(await client.get('/rate_limit', {}, z.object({ resources: z.object({}) })), { resources: {} });
      assert.equal(requests, 2, 'the 502, then the answer');
      requests = 0;
      failures = 5;
      await assert.rejects(client.get('/rate_limit', {}, z.any()), (e) => GitHubError.is(e, 'unreachable'));
      assert.equal(requests, 2, 'one retry, not more');
    } finally {
      server.close();
    }
  });
});
