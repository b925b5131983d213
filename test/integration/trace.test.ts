/**
 * `lineage trace` on genuine traces: small programs of a real repository, installed at an old
 * revision under a container-like path and run until they fail (Node, Python, and Java when a
 * JDK is installed), while the working copy has moved on. Each trace must land on the line where
 * the failing statement lives now. The revision comes from the service (what runs in
 * production), from --revision, or from the finding itself.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';
import { fixturesDir, startTestService, type TestService } from '../helpers/testService';

const hasJava = spawnSync('javac', ['-version']).status === 0;

/** Runs a failing program and returns what it printed on stderr (its genuine trace). */
function crash(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  assert.notEqual(r.status, 0, `${command} was expected to fail`);
  return r.stderr;
}

describe('lineage trace', function () {
  this.timeout(120_000);
  let t: TestService;
  let repo: TestRepo;
  let deployed: string;
  let installRoot: string;

  before(async () => {
    t = await startTestService('embedded');
    repo = TestRepo.init('acme/trace');
    repo.write('src/lib/pricing.js', [
      "'use strict';",
      'function ratio(total, count) {',
      '  if (count === 0) throw new RangeError(`no items to price (total ${total})`);',
      '  return total / count;',
      '}',
      'module.exports = { ratio };',
    ]);
    repo.write('src/main.js', ["const { ratio } = require('./lib/pricing');", 'console.log(ratio(10, 0));']);
    repo.write('shop/__init__.py', ['']);
    repo.write('shop/db.py', ['def load(rows):', '    return rows[0]']);
    repo.write('shop/cart.py', [
      'from shop.db import load',
      '',
      'def run():',
      '    try:',
      '        load([])',
      '    except IndexError:',
      '        raise RuntimeError("cart failed")',
      '',
      'if __name__ == "__main__":',
      '    run()',
    ]);
    repo.write('src/main/java/com/acme/orders/Pricing.java', [
      'package com.acme.orders;',
      '',
      'public class Pricing {',
      '    static int ratio(int total, int count) {',
      '        return total / count;',
      '    }',
      '    public static void main(String[] args) {',
      '        System.out.println(ratio(10, 0));',
      '    }',
      '}',
    ]);
    deployed = repo.commit('Pricing in three languages');
    // What runs in production: this revision, installed under a container-like root.
    installRoot = mkdtempSync(join(tmpdir(), 'lineage-app-'));
    cpSync(repo.dir, join(installRoot, 'app'), { recursive: true, filter: (src) => !src.includes('/.git') });
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'deployment',
        id: 'tr-d1',
        repo: 'acme/trace',
        deploymentId: 'prod-1',
        environment: 'production',
        commit: deployed,
        at: '2026-03-02T10:00:00Z',
        actor: 'ci',
      }),
    );
    // The working copy moves on: lines inserted above, a function moved down, a file renamed.
    repo.write('src/lib/pricing.js', [
      "'use strict';",
      '// Prices are computed in cents.',
      '// A basket with no items has no ratio.',
      'const CENTS = 100;',
      'function toCents(x) { return Math.round(x * CENTS); }',
      'function ratio(total, count) {',
      '  if (count === 0) throw new RangeError(`no items to price (total ${total})`);',
      '  return total / count;',
      '}',
      'module.exports = { ratio, toCents };',
    ]);
    repo.write('shop/cart.py', [
      'from shop.db import load',
      'import logging',
      '',
      'log = logging.getLogger(__name__)',
      '',
      'def run():',
      '    try:',
      '        load([])',
      '    except IndexError:',
      '        raise RuntimeError("cart failed")',
      '',
      'if __name__ == "__main__":',
      '    run()',
    ]);
    repo.move('shop/db.py', 'shop/storage.py');
    repo.write('shop/storage.py', ['"""Row access."""', '', 'def load(rows):', '    return rows[0]']);
    repo.commit('Move on');
  });
  after(async () => {
    await t?.close();
    repo?.dispose();
    if (installRoot) rmSync(installRoot, { recursive: true, force: true });
  });

  const trace = (input: string, args: string[] = []) => {
    const file = join(installRoot, `trace-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(file, input);
    return runLineage(repo.dir, ['trace', file, '--json', ...args]);
  };

  it('lands a real Node trace on the line where the throw lives now, at the revision production runs', async () => {
    const stderr = crash(process.execPath, [join(installRoot, 'app/src/main.js')], installRoot);
    assert.match(stderr, /RangeError: no items to price/);
    const r = await trace(stderr, ['--api', t.url]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.revision.sha, deployed);
    assert.match(r.json.revision.how, /running in production since deployment prod-1/);
    assert.deepEqual(r.json.revision.link, { how: 'current-deployment', confidence: 0.4 });
    const best = r.json.candidates[0];
    assert.equal(best.path, 'src/lib/pricing.js');
    assert.equal(best.line, 7, 'line 3 at the deployed revision is line 7 now');
    assert.equal(
      readFileSync(join(repo.dir, best.path), 'utf8').split('\n')[best.line - 1]!.trim().startsWith('if (count === 0) throw'),
      true,
    );
    assert.ok(best.confidence > r.json.candidates[1].confidence);
    assert.equal(best.lineage.commit.sha, deployed);
    assert.ok(r.json.candidates.some((c: any) => c.path === 'src/main.js' && c.line === 2));
  });

  it('uses the deployment that ran when the alert fired, not the current one', async () => {
    const stderr = crash(process.execPath, [join(installRoot, 'app/src/main.js')], installRoot);
    const head = repo.head();
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'deployment',
        id: 'tr-d2',
        repo: 'acme/trace',
        deploymentId: 'prod-2',
        environment: 'production',
        commit: head,
        at: '2026-03-05T10:00:00Z',
        actor: 'ci',
      }),
    );
    const alert = {
      title: 'RangeError in checkout',
      environment: 'production',
      timestamp: '2026-03-03T08:00:00Z',
      exception: { stacktrace: stderr },
    };
    const r = await trace(JSON.stringify(alert), ['--api', t.url]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.revision.sha, deployed);
    assert.match(r.json.revision.how, /running in production at 2026-03-03T08:00:00Z \(a time window\) since deployment prod-1/);
    assert.deepEqual(r.json.revision.link, { how: 'time-window', confidence: 0.6 }, 'a link by time is marked as one');
    assert.deepEqual([r.json.candidates[0].path, r.json.candidates[0].line], ['src/lib/pricing.js', 7]);
  });

  it('lands a real chained Python traceback on the innermost frame, following a rename', async () => {
    const stderr = crash('python3', ['-m', 'shop.cart'], join(installRoot, 'app'));
    assert.match(stderr, /During handling of the above exception/);
    const r = await trace(stderr, ['--revision', deployed]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([r.json.candidates[0].path, r.json.candidates[0].line], ['shop/cart.py', 10]);
    // The frame in db.py resolves at the deployed revision; the file is called storage.py now.
    const db = r.json.candidates.find((c: any) => c.original.file.endsWith('shop/db.py'));
    assert.ok(db, JSON.stringify(r.json.candidates.map((c: any) => c.path)));
    assert.deepEqual([db.path, db.line], ['shop/storage.py', 4]);
    assert.match(db.reason, /shop\/db\.py is shop\/storage\.py now/);
  });

  (hasJava ? it : it.skip)('lands a real Java trace through its package path', async () => {
    const classes = join(installRoot, 'classes');
    mkdirSync(classes, { recursive: true });
    execFileSync('javac', ['-d', classes, join(installRoot, 'app/src/main/java/com/acme/orders/Pricing.java')]);
    const stderr = crash('java', ['-cp', classes, 'com.acme.orders.Pricing'], installRoot);
    assert.match(stderr, /ArithmeticException/);
    const r = await trace(stderr, ['--revision', deployed]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([r.json.candidates[0].path, r.json.candidates[0].line], ['src/main/java/com/acme/orders/Pricing.java', 5]);
  });

  it("maps a minified bundle's frames back through the source map in the build output", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lineage-bundle-'));
    try {
      const app = new TestRepo(dir);
      app.git(['init', '-q', '-b', 'main']);
      app.write('.gitignore', ['dist/']);
      app.write('src/cart.js', [
        'export function total(items) {',
        '  const sum = items.reduce((a, b) => a + b.price, 0);',
        '  if (!items.length) throw new TypeError("empty cart");',
        '  return sum;',
        '}',
      ]);
      app.write('src/index.js', ["import { total } from './cart.js';", 'console.log(total([]));']);
      app.commit('web shop');
      buildSync({
        entryPoints: [join(dir, 'src/index.js')],
        bundle: true,
        minify: true,
        sourcemap: true,
        outfile: join(dir, 'dist/main.4f2a.js'),
        logLevel: 'warning',
      });
      const stderr = crash(process.execPath, [join(dir, 'dist/main.4f2a.js')], dir);
      assert.match(stderr, /main\.4f2a\.js:1:\d+/, 'a frame in the minified bundle');
      const r = await runLineage(dir, ['trace', '-', '--json'], stderr);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual([r.json.candidates[0].path, r.json.candidates[0].line], ['src/cart.js', 3]);
      assert.ok(
        r.json.tried.some((t: string) => /by dist\/main\.4f2a\.js\.map/.test(t)),
        r.json.tried,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the revision from a SARIF log and resolves its uriBaseIds', async () => {
    const sarif = JSON.parse(readFileSync(join(fixturesDir(), 'sarif/sarif-tutorials-OriginalUriBaseIds.sarif'), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'lineage-sarif-'));
    try {
      const other = new TestRepo(dir);
      other.git(['init', '-q', '-b', 'main']);
      other.write('src/io/kb.c', ['int main(void) { return 0; }']);
      other.write('README.md', ['# kb']);
      const sha = other.commit('kb');
      sarif.runs[0].versionControlProvenance = [{ repositoryUri: 'https://github.com/acme/kb', revisionId: sha }];
      writeFileSync(join(dir, 'log.sarif'), JSON.stringify(sarif));
      const r = await runLineage(dir, ['trace', 'log.sarif', '--json']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.json.revision.how, /the finding names commit/);
      assert.ok(
        r.json.candidates.some((c: any) => c.path === 'src/io/kb.c'),
        JSON.stringify(r.json.candidates),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows an image digest in every written form: a pod imageID, a registry reference, URL-encoded', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    await t.client.ingest(
      'events',
      JSON.stringify({ type: 'artifact', id: 'tr-art', repo: 'acme/trace', digest, name: 'ghcr.io/acme/trace', commit: deployed }),
    );
    const frame = '    at ratio (/app/src/lib/pricing.js:3:28)';
    const forms = [
      { status: { containerStatuses: [{ imageID: `docker-pullable://ghcr.io/acme/trace@${digest}` }] }, error: `RangeError: x\n${frame}` },
      { image: `ghcr.io/acme/trace@${digest}`, stack: `RangeError: x\n${frame}` },
      { subject: { content: { artifactId: `pkg:oci/trace@${digest.replace(':', '%3A')}` } }, stack: `RangeError: x\n${frame}` },
    ];
    for (const form of forms) {
      const r = await trace(JSON.stringify(form), ['--api', t.url]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.json.artifact?.digest, digest, JSON.stringify(form));
      assert.match(r.json.revision.how, /artifact sha256:abababababab\S* was built from/, JSON.stringify(form));
      assert.equal(r.json.revision.sha, deployed);
      assert.deepEqual(r.json.revision.link, { how: 'digest', confidence: 0.9 });
    }
    const text = await trace(`Error: boom (image digest sha256%3A${'ab'.repeat(32)})\n${frame}`, ['--api', t.url]);
    assert.equal(text.json.artifact?.digest, digest);
  });

  it('calls an artifact live only where it still runs: a later deployment or a rollback replaces it', async () => {
    const digest = `sha256:${'cd'.repeat(32)}`;
    const other = `sha256:${'ef'.repeat(32)}`;
    const deploy = (id: string, environment: string, artifact: string, at: string, kind = 'deploy') =>
      t.client.ingest(
        'events',
        JSON.stringify({
          type: 'deployment',
          id: `tr-live-${id}`,
          repo: 'acme/trace',
          deploymentId: id,
          environment,
          commit: deployed,
          artifact,
          at,
          actor: 'ci',
          kind,
        }),
      );
    await t.client.ingest(
      'events',
      JSON.stringify({ type: 'artifact', id: 'tr-live-art', repo: 'acme/trace', digest, name: 'app', commit: deployed }),
    );
    await deploy('live-s1', 'staging', digest, '2026-04-01T10:00:00Z');
    await deploy('live-s2', 'staging', other, '2026-04-02T10:00:00Z');
    await deploy('live-q1', 'qa', other, '2026-04-01T10:00:00Z');
    await deploy('live-q2', 'qa', digest, '2026-04-02T10:00:00Z');
    await deploy('live-q3', 'qa', other, '2026-04-03T10:00:00Z', 'rollback');
    await deploy('live-c1', 'canary', digest, '2026-04-03T10:00:00Z');
    const r = await trace(JSON.stringify({ image: `app@${digest}`, stack: 'RangeError: x\n    at ratio (/app/src/lib/pricing.js:3:28)' }), [
      '--api',
      t.url,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const live = Object.fromEntries(r.json.artifact.runsIn.map((p: any) => [p.environment, p.live]));
    assert.deepEqual(live, { staging: false, qa: false, canary: true }, 'replaced in staging, rolled back in qa, running in canary');
  });

  it('resolves a finding id from the service at the revision it was reported against', async () => {
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'finding',
        id: 'tr-f1',
        repo: 'acme/trace',
        findingId: 'err-42',
        kind: 'error',
        severity: 'high',
        title: 'RangeError in ratio',
        commit: deployed,
        locations: [{ path: 'src/lib/pricing.js', line: 3, revision: deployed }],
      }),
    );
    const r = await runLineage(repo.dir, ['trace', '-', '--json', '--api', t.url], 'lineage-finding:err-42');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.input.kind, 'finding-reference');
    assert.deepEqual(r.json.input.messages, ['RangeError in ratio']);
    assert.deepEqual([r.json.candidates[0].path, r.json.candidates[0].line], ['src/lib/pricing.js', 7]);
    const unknown = await runLineage(repo.dir, ['trace', '-', '--api', t.url], 'lineage-finding:nope');
    assert.equal(unknown.status, 2, unknown.stderr + unknown.stdout);
  });

  it('reads a JSON alert with OpenTelemetry code fields and a commit', async () => {
    const alert = {
      alert: 'HighErrorRate',
      attributes: { 'code.file.path': '/app/src/lib/pricing.js', 'code.line.number': 4, 'vcs.ref.head.revision': deployed },
    };
    const r = await trace(JSON.stringify(alert));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.input.kind, 'json-alert');
    assert.deepEqual([r.json.candidates[0].path, r.json.candidates[0].line], ['src/lib/pricing.js', 8]);
  });

  it('keeps two changed frames of one file apart, and puts the root file first among its namesakes', async () => {
    const app = TestRepo.init('acme/two-frames');
    const root = mkdtempSync(join(tmpdir(), 'lineage-two-'));
    try {
      app.write('index.js', [
        'function inner(n) {',
        "  if (n > 2) throw new Error('too deep');",
        '  return inner(n + 1);',
        '}',
        'function outer() { return inner(0); }',
        'outer();',
      ]);
      // Namesakes deeper down: a basename match alone would prefer whichever sorts first.
      for (const dir of ['a', 'b', 'c', 'd', 'e', 'f']) app.write(`${dir}/index.js`, ['module.exports = 1;']);
      const r1 = app.commit('app at release');
      cpSync(app.dir, join(root, 'app'), { recursive: true, filter: (src) => !src.includes('/.git') });
      const stderr = crash(process.execPath, [join(root, 'app/index.js')], root);
      // Both frames' lines are rewritten (re-quoted), not moved.
      app.write('index.js', [
        'function inner(n) {',
        '  if (n > 2) throw new Error("too deep");',
        '  return inner(n + 1) ;',
        '}',
        'function outer() { return inner(0); }',
        'outer();',
      ]);
      const style = app.commit('style: quotes');
      const file = join(root, 'trace.txt');
      writeFileSync(file, stderr);
      const r = await runLineage(app.dir, ['trace', file, '--revision', r1, '--json']);
      const changed = r.json.candidates.filter((c: any) => c.path === 'index.js' && c.changed);
      assert.deepEqual(
        changed.map((c: any) => [c.original.line, c.line, c.changed.how, c.changed.commit]).sort(),
        [
          [2, 2, 'reformatted', style],
          [3, 3, 'reformatted', style],
        ],
        `both changed frames are answers, each on the line it became: ${JSON.stringify(r.json.candidates.map((c: any) => [c.path, c.line, c.original.line]))}`,
      );
      assert.equal(r.json.candidates[0].path, 'index.js');
    } finally {
      app.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('follows a file moved and then rewritten, to the line its statement became and the commit that changed it', async () => {
    const app = TestRepo.init('acme/moved');
    const root = mkdtempSync(join(tmpdir(), 'lineage-moved-'));
    try {
      app.write('lib/orders.js', [
        'function total(items) {',
        '  if (items.length === 0) throw new Error("empty order");',
        '  return items.reduce((a, b) => a + b, 0);',
        '}',
        'total([]);',
      ]);
      const r1 = app.commit('orders');
      cpSync(app.dir, join(root, 'app'), { recursive: true, filter: (src) => !src.includes('/.git') });
      const stderr = crash(process.execPath, [join(root, 'app/lib/orders.js')], root);
      app.move('lib/orders.js', 'src/billing/orders.js');
      app.commit('Move orders into billing');
      // Rewritten after the move: new code above, the message changed, the file no longer similar.
      app.write('src/billing/orders.js', [
        "'use strict';",
        '/** Orders: totals, taxes and discounts, in cents. */',
        'const TAX = 0.2;',
        'function taxOf(amount) { return Math.round(amount * TAX); }',
        'function discountOf(amount, code) { return code === "TEN" ? Math.round(amount / 10) : 0; }',
        'function lines(order) { return order.items.map((i) => i.price * i.quantity); }',
        'function total(items) {',
        '  if (items.length === 0) throw new Error(`empty order: nothing to total`);',
        '  return items.reduce((a, b) => a + b, 0);',
        '}',
        'module.exports = { total, taxOf, discountOf, lines };',
      ]);
      const rewrite = app.commit('Rewrite orders');
      const whole = app.git(['diff', '-M', '--name-status', r1, 'HEAD']);
      assert.doesNotMatch(whole, /^R/m, `git's whole-tree rename detection must miss this move for the test to mean anything: ${whole}`);
      const file = join(root, 'trace.txt');
      writeFileSync(file, stderr);
      const r = await runLineage(app.dir, ['trace', file, '--revision', r1, '--json']);
      const top = r.json.candidates[0];
      assert.equal(top.path, 'src/billing/orders.js', JSON.stringify(r.json.candidates));
      assert.equal(top.line, 8, top.reason);
      assert.deepEqual(top.changed, { how: 'edited', commit: rewrite }, top.reason);
      assert.match(top.reason, /lib\/orders\.js is src\/billing\/orders\.js now/);
    } finally {
      app.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("uses a Python traceback's quoted source to correct a line, and reads a Go module-cache frame at the version it names", async () => {
    const app = TestRepo.init('acme/shop');
    const root = mkdtempSync(join(tmpdir(), 'lineage-quoted-'));
    try {
      app.write('shop/tax.py', ['def rate(region):', '    rates = {"eu": 0.2}', '    return rates[region]', '', 'rate("us")']);
      app.write('internal/cart/cart.go', ['package cart', '', 'func Total(items []int) int {', '\treturn items[0] / len(items)', '}']);
      app.commit('shop');
      app.git(['tag', 'v1.0.0']);
      const v1 = app.git(['rev-parse', 'HEAD']);
      cpSync(app.dir, join(root, 'app'), { recursive: true, filter: (src) => !src.includes('/.git') });
      const traceback = crash('python3', [join(root, 'app/shop/tax.py')], root);
      // Lines added above both since, and the working copy is all the trace is read against.
      app.write('shop/tax.py', [
        '"""Tax rates."""',
        'import logging',
        '',
        'def rate(region):',
        '    rates = {"eu": 0.2}',
        '    return rates[region]',
        '',
        'rate("us")',
      ]);
      app.write('internal/cart/cart.go', [
        'package cart',
        '',
        '// Total of a cart.',
        '// It panics on an empty cart.',
        'func Total(items []int) int {',
        '\treturn items[0] / len(items)',
        '}',
      ]);
      app.commit('Document');
      const pyFile = join(root, 'py.txt');
      writeFileSync(pyFile, traceback);
      const py = await runLineage(app.dir, ['trace', pyFile, '--json']);
      const frame = py.json.candidates.find((c: any) => c.path === 'shop/tax.py' && c.original.line === 3);
      assert.ok(frame, JSON.stringify(py.json.candidates));
      assert.equal(frame.line, 6, `the quoted "return rates[region]" is line 6 now: ${frame.reason}`);
      assert.match(frame.reason, /the trace quotes "return rates\[region\]", which is line 6/);
      const goTrace = [
        '2026/03/14 10:00:01 [Recovery] 2026/03/14 - 10:00:01 panic recovered:',
        'runtime error: index out of range [0] with length 0',
        '/root/go/pkg/mod/github.com/acme/shop@v1.0.0/internal/cart/cart.go:4 (0x8b3c5d)',
        '\tTotal: return items[0] / len(items)',
        '/root/go/pkg/mod/github.com/gin-gonic/gin@v1.9.1/context.go:174 (0x8ad1c9)',
        '\t(*Context).Next: c.handlers[c.index](c)',
      ].join('\n');
      const file = join(root, 'go.txt');
      writeFileSync(file, goTrace);
      const r = await runLineage(app.dir, ['trace', file, '--json']);
      const top = r.json.candidates[0];
      assert.equal(top.path, 'internal/cart/cart.go', JSON.stringify(r.json.candidates));
      assert.equal(top.line, 6, top.reason);
      assert.equal(top.revision, v1, 'v1.0.0 names the revision the frame ran at');
      assert.equal(top.library, false, "this repository's own module is not a library");
      assert.match(top.reason, /github\.com\/acme\/shop@v1\.0\.0 is [0-9a-f]{12}/);
    } finally {
      app.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('runs in the checkout -C names, takes --repo as owner/name, and still takes a --repo directory', async () => {
    const text = 'Error: boom\n    at ratio (/srv/app/src/lib/pricing.js:3:9)';
    const elsewhere = mkdtempSync(join(tmpdir(), 'lineage-elsewhere-'));
    try {
      const viaC = await runLineage(elsewhere, ['trace', '-', '--json', '-C', repo.dir, '--revision', deployed], text);
      assert.equal(viaC.status, 0, viaC.stderr);
      assert.equal(viaC.json.candidates[0].path, 'src/lib/pricing.js');
      const viaDir = await runLineage(elsewhere, ['trace', '-', '--json', '--repo', repo.dir, '--revision', deployed], text);
      assert.deepEqual(viaDir.json.candidates[0], viaC.json.candidates[0], '--repo DIR as before');
      // The origin says acme/trace, whose production the service knows; --repo names another repository.
      const own = await runLineage(repo.dir, ['trace', '-', '--json', '--api', t.url], text);
      assert.match(own.json.revision.how, /running in production since deployment/);
      const named = await runLineage(repo.dir, ['trace', '-', '--json', '--repo', 'acme/other', '--api', t.url], text);
      assert.equal(named.status, 0, named.stderr);
      assert.equal(named.json.revision.sha, null, `acme/other has no deployment: ${named.json.revision.how}`);
      const bad = await runLineage(repo.dir, ['trace', '-', '--repo', 'not a repo'], text);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--repo must be owner\/name.*-C <dir>/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('says what it tried when nothing matches, exits 1, and 2 on bad input', async () => {
    const none = await trace('the service is slow today, nothing else to say', ['--api', t.url]);
    assert.equal(none.status, 1);
    assert.deepEqual(none.json.candidates, []);
    assert.ok(
      none.json.tried.some((x: string) => /no stack frame/.test(x)),
      none.json.tried,
    );
    const outside = await trace('    at evil (/etc/passwd:1:1)\n    at x (../../etc/shadow:2:2)');
    assert.equal(outside.status, 1, 'paths outside the repository never match');
    const empty = await runLineage(repo.dir, ['trace', '-'], '   ');
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /the input is empty/);
    const both = await runLineage(repo.dir, ['trace', '-', '--environment', 'x', '--revision', deployed], 'x');
    assert.equal(both.status, 2);
  });
});

describe('lineage trace on infrastructure findings', function () {
  this.timeout(120_000);
  let repo: TestRepo;
  const k8s = join(fixturesDir(), 'k8s');
  const tf = join(fixturesDir(), 'terraform');

  before(() => {
    repo = TestRepo.init('acme/infra');
    cpSync(join(k8s, 'manifests'), join(repo.dir, 'deploy/manifests'), { recursive: true });
    cpSync(join(k8s, 'kustomize-ldap'), join(repo.dir, 'deploy/ldap'), { recursive: true });
    repo.write('deploy/nginx.yaml', [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: nginx',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: nginx-deployment',
      '  namespace: default',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: nginx',
      '          image: nginx',
      '          securityContext:',
      '            privileged: true',
    ]);
    repo.write('deploy/falco.yaml', ['apiVersion: apps/v1', 'kind: DaemonSet', 'metadata:', '  name: falco', 'spec: {}']);
    cpSync(join(tf, 'trivy-action-config/main.tf'), join(repo.dir, 'infra/main.tf'));
    repo.write('infra/modules/storage/main.tf', [
      'resource "aws_s3_bucket" "bucket" {',
      '  bucket = "inner"',
      '  acl    = "public-read"',
      '}',
    ]);
    repo.write('infra/root.tf', ['module "storage" {', '  source = "./modules/storage"', '}']);
    repo.commit('manifests and terraform');
  });
  after(() => repo?.dispose());

  const traceFile = (file: string, args: string[] = []) => runLineage(repo.dir, ['trace', file, '--json', ...args]);
  const traceText = (text: string) => runLineage(repo.dir, ['trace', '-', '--json'], text);
  const top = (r: any) => [r.json.candidates[0]?.path, r.json.candidates[0]?.line];

  it('lands a Kubernetes audit event for a privileged pod on the privileged field of its Deployment', async () => {
    const r = await traceFile(join(k8s, 'audit-create-privileged-pod.json'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.input.kind, 'kubernetes');
    assert.deepEqual(top(r), ['deploy/nginx.yaml', 18]);
    assert.match(r.json.candidates[0].reason, /Deployment of ReplicaSet nginx-deployment-/);
  });

  it("finds a Falco alert's pod through its DaemonSet, and objects named in guestbook manifests", async () => {
    const falco = await traceFile(join(k8s, 'falco-alert-terminal-shell-k8s.json'));
    assert.equal(falco.status, 0, falco.stderr);
    assert.deepEqual(top(falco), ['deploy/falco.yaml', 2]);
    const guestbook = await traceText('Deployment/redis-replica spec.template.spec.containers[0].resources.requests.cpu');
    assert.equal(guestbook.json.candidates[0].path, 'deploy/manifests/guestbook-all-in-one.yaml');
    const line = readFileSync(join(repo.dir, 'deploy/manifests/guestbook-all-in-one.yaml'), 'utf8').split('\n')[
      guestbook.json.candidates[0].line - 1
    ]!;
    assert.match(line, /cpu:/);
  });

  it('follows a Kustomize name prefix to the overlay that sets the field, with the base as the next candidate', async () => {
    const r = await traceText('Deployment/production-ldap spec.replicas');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(top(r), ['deploy/ldap/overlays/production/deployment.yaml', 6]);
    assert.ok(
      r.json.candidates.some((c: any) => c.path === 'deploy/ldap/base/deployment.yaml'),
      JSON.stringify(r.json.candidates.map((c: any) => c.path)),
    );
  });

  it('lands Terraform findings on the resource block: trivy results, addresses, and module addresses', async () => {
    const report = await traceFile(join(tf, 'trivy-action-config/report.json'));
    assert.equal(report.status, 0, report.stderr);
    assert.deepEqual(top(report), ['infra/main.tf', 8]);
    const address = await traceText('aws_s3_bucket_versioning.bucket_versioning');
    assert.deepEqual(top(address), ['infra/main.tf', 12]);
    const moduled = await traceText('module.storage.aws_s3_bucket.bucket');
    assert.deepEqual(top(moduled), ['infra/modules/storage/main.tf', 1]);
    const missing = await traceText('aws_iam_role.nope');
    assert.equal(missing.status, 1);
    assert.ok(missing.json.tried.some((t: string) => /no \.tf file defines aws_iam_role\.nope/.test(t)));
  });
});
