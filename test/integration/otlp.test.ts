/**
 * Runtime errors over OTLP/HTTP, as the OpenTelemetry SDK exports them from a real program that
 * throws (test/programs/otelThrower.cjs): log records and span events carrying an exception
 * become one finding per exception, counted, on the revision and environment its resource names,
 * and `lineage trace` lands its stack on the line in the working copy.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { http, startTestService, type TestService } from '../helpers/testService';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';

const thrower = join(__dirname, '../programs/otelThrower.cjs');

describe('OpenTelemetry exceptions over OTLP/HTTP (embedded store)', function () {
  this.timeout(120_000);
  let t: TestService;
  let repo: TestRepo;
  let commit: string;
  before(async () => {
    repo = TestRepo.init('acme/checkout');
    repo.write('src/checkout.js', [
      "'use strict';",
      'function total(items) {',
      "  if (items.length === 0) throw new TypeError('cart is empty');",
      '  return items.reduce((sum, item) => sum + item.price, 0);',
      '}',
      'exports.checkout = (cart) => total(cart.items);',
    ]);
    commit = repo.commit('checkout');
    t = await startTestService('embedded', { writeToken: 'w' });
  });
  after(async () => t?.close());

  /** Runs the program; asynchronously, since the service it exports to answers from this process. */
  async function run(extra: Record<string, string> = {}) {
    const resource = {
      'service.name': 'checkout',
      'service.version': '1.4.2',
      'vcs.ref.head.revision': commit,
      'vcs.repository.url.full': 'https://github.com/acme/checkout',
      'deployment.environment.name': 'production',
    };
    const child = spawn(process.execPath, [thrower, join(repo.dir, 'src/checkout.js')], {
      cwd: repo.dir,
      env: { ...process.env, OTLP_ENDPOINT: t.url, OTLP_TOKEN: 'w', RESOURCE_JSON: JSON.stringify(resource), ...extra },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(status, 0, stderr);
  }

  it('makes one counted finding of an exception the SDK exports as logs and spans, in protobuf and JSON', async () => {
    await run({ TIMES: '2' }); // protobuf: two log records and two span events of one exception
    const { findings } = await t.client.findings('acme/checkout', { status: 'open' });
    assert.equal(findings.length, 1, JSON.stringify(findings.map((f) => f.title)));
    const f = findings[0]!;
    assert.match(f.id, /^otlp:[0-9a-f]{32}$/);
    assert.equal(f.title, 'TypeError: cart is empty');
    assert.equal(f.kind, 'error');
    assert.equal(f.commit, commit);
    assert.equal(f.environment, 'production');
    assert.equal(f.service, 'checkout');
    assert.equal(f.release, '1.4.2');
    assert.match(f.detail ?? '', /src\/checkout\.js:3:/);
    assert.equal(f.occurrences, 4);
    await run({ OTLP_JSON: '1' }); // the logs once more, in OTLP/JSON; the spans in protobuf
    assert.equal((await t.client.finding(f.id)).occurrences, 6);
    const audit = await t.client.verifyAudit();
    assert.equal(audit.ok, true, audit.reason ?? JSON.stringify(audit.differences));
  });

  it('lands the exception on the line that threw, through lineage trace', async () => {
    const [f] = (await t.client.findings('acme/checkout', { status: 'open' })).findings;
    const traced = await runLineage(repo.dir, ['trace', '-', '--json', '--api', t.url, '--token', 'w'], `lineage-finding:${f!.id}`);
    assert.equal(traced.status, 0, traced.stderr);
    const top = traced.json.candidates[0];
    assert.equal(top.path, 'src/checkout.js');
    assert.equal(top.line, 3);
  });

  it('keeps nothing of an export without an exception, and refuses what is not OTLP', async () => {
    const before = (await t.client.health()).events;
    const plain = {
      resourceLogs: [
        {
          resource: { attributes: [] },
          scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000000', body: { stringValue: 'started' } }] }],
        },
      ],
    };
    const auth = { authorization: 'Bearer w' };
    const ok = await http(`${t.url}/v1/otlp/v1/logs`, {
      body: JSON.stringify(plain),
      headers: { ...auth, 'content-type': 'application/json' },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.accepted, 0);
    assert.equal((await t.client.health()).events, before);

    const bad = await http(`${t.url}/v1/otlp/v1/logs`, {
      body: Buffer.from([0x0a, 0xff, 0xff, 0xff]),
      headers: { ...auth, 'content-type': 'application/x-protobuf' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /not an OTLP logs export request in protobuf/);
    const text = await http(`${t.url}/v1/otlp/v1/traces`, { body: 'hello', headers: { ...auth, 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    const gzipped = await http(`${t.url}/v1/otlp/v1/logs`, {
      body: gzipSync(JSON.stringify(plain)),
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    assert.equal(gzipped.status, 200, gzipped.text);
    const bomb = await http(`${t.url}/v1/otlp/v1/logs`, {
      body: gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)),
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    assert.equal(bomb.status, 400, 'a body that inflates past the limit is refused');
    assert.equal(
      (await http(`${t.url}/v1/otlp/v1/logs`, { body: JSON.stringify(plain), headers: { 'content-type': 'application/json' } })).status,
      401,
    );
  });
});
