/**
 * The service against hostile clients on loopback: a chunked body past the limit, a web page
 * reaching the local service through DNS rebinding or a cross-site form, and 20,000 idle sockets
 * held open by other processes while a health check must still be answered.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService as spawnService, type Spawned } from '../../bench/spawnService';
import { startTestService, type TestService } from '../helpers/testService';

/** Sends raw bytes and collects what comes back until the server closes the connection. */
function rawExchange(port: number, write: (socket: ReturnType<typeof connect>) => void): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (c) => (answer += c.toString()));
    // The server may close while the client is still sending (EPIPE): what it answered first counts.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
    socket.on('connect', () => write(socket));
    setTimeout(() => socket.destroy(), 10_000);
  });
}

async function get(url: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; json: any }> {
  const { request } = await import('undici');
  const res = await request(url, { method, headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
}

describe('the service against hostile clients', function () {
  this.timeout(120_000);
  let t: TestService;
  let port: number;
  before(async () => {
    t = await startTestService('embedded', { maxBodyBytes: 64 * 1024 });
    port = t.service.port;
  });
  after(async () => t?.close());

  it('answers a chunked body past the limit with 413 and closes the connection', async () => {
    const chunk = Buffer.alloc(16 * 1024, 'a');
    let answered = false;
    const answer = await rawExchange(port, (socket) => {
      socket.once('data', () => (answered = true));
      socket.write(
        `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      // Chunk after chunk, as a streaming client sends, until the service answers.
      const send = (n: number) => {
        if (n === 0 || answered || socket.destroyed || !socket.writable) return;
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n', () => setTimeout(() => send(n - 1), 20));
      };
      send(12);
    });
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /connection: close/i);
    assert.match(answer, /"body-too-large"|the limit is 65536 bytes/);
    assert.equal((await t.client.health()).status, 'ok');
  });

  it('refuses a web page: a rebound Host, a foreign Origin, a form post', async () => {
    const health = `${t.url}/v1/health`;
    const rebound = await get(health, { host: `attacker.example:${port}` });
    assert.equal(rebound.status, 403);
    assert.match(rebound.json.detail, /answers requests addressed to it on this machine/);
    assert.equal((await get(health, { host: `127.0.0.1:${port + 1}` })).status, 403, 'another port is another service');
    assert.equal((await get(health, { host: `localhost:${port}` })).status, 200);
    assert.equal((await get(health, { host: `[::1]:${port}` })).status, 200);
    const origin = await get(`${t.url}/v1/repos/acme/x/environments`, { host: `127.0.0.1:${port}`, origin: 'https://attacker.example' });
    assert.equal(origin.status, 403);
    assert.match(origin.json.detail, /Origin https:\/\/attacker\.example/);
    const form = await get(
      `${t.url}/v1/events`,
      { host: `127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded' },
      'POST',
      'a=b',
    );
    assert.equal(form.status, 415);
    const json = await get(
      `${t.url}/v1/events`,
      { host: `127.0.0.1:${port}`, 'content-type': 'application/json' },
      'POST',
      JSON.stringify({ type: 'commit', id: 'c1', repo: 'acme/x', sha: 'a'.repeat(40) }),
    );
    assert.equal(json.status, 200);
  });

  it('leaves Host and Origin to the tokens when it has them', async () => {
    const guarded = await startTestService('embedded', { readToken: 'r', writeToken: 'w' });
    try {
      const res = await get(`${guarded.url}/v1/repos/acme/x/environments`, { host: 'lineage.internal.example', authorization: 'Bearer r' });
      assert.equal(res.status, 200);
      assert.equal((await get(`${guarded.url}/v1/repos/acme/x/environments`, { host: 'lineage.internal.example' })).status, 401);
    } finally {
      await guarded.close();
    }
  });
});

describe('20,000 idle sockets', function () {
  this.timeout(180_000);
  let service: Spawned;
  let dir: string;
  const openers: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lineage-flood-'));
    service = await spawnService({ dataDir: join(dir, 'data') });
  });
  after(async () => {
    for (const o of openers) o.kill('SIGKILL');
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A process that opens `n` connections and holds them, reporting how many connected and how many the service closed. */
  const opener = (port: number, n: number) =>
    new Promise<{ connected: number; closed: number }>((resolve, reject) => {
      const script = `
        const net = require('node:net');
        let connected = 0, closed = 0, settled = 0;
        const done = () => { if (++settled === ${n}) process.stdout.write(JSON.stringify({ connected, closed }) + '\\n'); };
        for (let i = 0; i < ${n}; i++) {
          const s = net.connect(${port}, '127.0.0.1');
          s.on('connect', () => { connected++; done(); });
          s.on('error', () => done());
          s.on('close', () => closed++);
        }
        process.stdin.resume();`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
      openers.push(child);
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(JSON.parse(out));
      });
      child.once('exit', (code) => reject(new Error(`opener exited with ${code}`)));
    });

  it('keeps answering health while other processes hold 20,000 idle connections', async () => {
    const port = Number(new URL(service.url).port);
    const results = await Promise.all([opener(port, 10_000), opener(port, 10_000)]);
    const connected = results.reduce((n, r) => n + r.connected, 0);
    assert.ok(connected >= 19_000, `${connected} of 20,000 connected`);
    const started = performance.now();
    const res = await fetch(`${service.url}/v1/health`, { signal: AbortSignal.timeout(5_000) });
    const ms = performance.now() - started;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
    assert.ok(ms < 2_000, `health answered in ${ms.toFixed(0)} ms`);
    console.log(`    health answered in ${ms.toFixed(0)} ms with 20,000 idle connections attempted (${connected} connected)`);
  });
});
