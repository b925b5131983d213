/** The `lineage` command as users run it: the built bundle, real files, the real service. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, startTestService, type TestService } from '../helpers/testService';
import { webhookExample } from '../helpers/webhookExamples';

const cli = join(__dirname, '../../dist/cli.js');

/** Runs the CLI without blocking this process, whose event loop serves the service under test. */
function lineage(args: string[], input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, LINEAGE_API_URL: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

describe('lineage CLI', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService('embedded');
  });
  after(async () => t?.close());

  it('ingests files of every format, detecting each, and reports replays as already known', async () => {
    const f = fixturesDir();
    const conformance = readdirSync(join(f, 'cdevents/conformance'))
      .filter((n) => n.endsWith('.json'))
      .map((n) => join(f, 'cdevents/conformance', n));
    const files = [...conformance, join(f, 'intoto/dsse-slsa-v02-gha-generic.intoto.jsonl'), join(f, 'sarif/gitleaks-sarif_simple.sarif')];
    const first = await lineage(['ingest', '--api', t.url, '--repo', 'acme/cli', '--commit', 'd'.repeat(40), ...files]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout.trim().split('\n').length, files.length);
    assert.match(first.stdout, /service_deployed\.json: 1 stored, 0 already known \(events\)/);
    assert.match(first.stdout, /intoto\.jsonl: 1 stored, 0 already known \(attestations\)/);
    assert.match(first.stdout, /gitleaks-sarif_simple\.sarif: 1 stored, 0 already known \(sarif\)/);
    const again = await lineage(['ingest', '--api', t.url, '--repo', 'acme/cli', '--commit', 'd'.repeat(40), ...files]);
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /[1-9]\d* stored/);
    const findings = await t.client.findings('acme/cli');
    assert.equal(findings.findings[0]?.locations[0]?.revision, 'd'.repeat(40));
  });

  it('sends a GitHub payload with its event name, from standard input', async () => {
    const payload = webhookExample('workflow_run');
    const r = await lineage(['ingest', '--api', t.url, '--github-event', 'workflow_run', '-'], JSON.stringify(payload));
    assert.equal(r.status, 0, r.stderr);
    const again = await lineage(['ingest', '--api', t.url, '--github-event', 'workflow_run', '--json', '-'], JSON.stringify(payload));
    assert.deepEqual(JSON.parse(again.stdout), { files: [{ file: '-', kind: 'github', stored: 0, duplicates: 1 }] }, 'a replay, as JSON');
    const lineageOf = await t.client.lineage(payload.repository.full_name, [payload.workflow_run.head_sha]);
    assert.equal(lineageOf.commits[0]!.builds[0]?.id, `github:workflow_run:${payload.workflow_run.id}`);
  });

  it('ingests a JSON Lines file of native events as batches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lineage-cli-'));
    const file = join(dir, 'events.jsonl');
    const lines = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify({ type: 'build', id: `jsonl-${i}`, repo: 'acme/jsonl', buildId: `b${i}`, commit: i.toString(16).padStart(40, '0') }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await lineage(['ingest', '--api', t.url, file]);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /2500 stored/);
  });

  const failures: [string, string[], string | undefined, RegExp][] = [
    ['a missing file', ['ingest', '--api', 'http://127.0.0.1:9', '/nonexistent/x.json'], undefined, /x\.json: cannot read \(ENOENT\)/],
    [
      'an unknown flag',
      ['ingest', '--bogus', 'x'],
      undefined,
      /^lineage: unknown option --bogus for "lineage ingest"; run "lineage ingest --help"\n$/,
    ],
    ['a flag without its value', ['blame', 'x.js', '--line'], undefined, /^lineage: --line needs a value; run "lineage blame --help"\n$/],
    ['an unrecognised format', ['ingest', '--api', 'http://127.0.0.1:9', '-'], '{"hello":1}', /format not recognised/],
    ['invalid JSON', ['ingest', '--api', 'http://127.0.0.1:9', '-'], '{"type":', /not valid JSON/],
    [
      'a service that is down',
      ['ingest', '--api', 'http://127.0.0.1:9', '-'],
      '{"type":"build","id":"x","buildId":"x"}',
      /cannot reach the service/,
    ],
    ['an unknown command', ['frobnicate'], undefined, /^lineage: unknown command "frobnicate"; run "lineage --help" for the commands\n$/],
    [
      'a mistyped command',
      ['blme', 'x.js'],
      undefined,
      /^lineage: unknown command "blme" \(did you mean "blame"\?\); run "lineage --help" for the commands\n$/,
    ],
    ['a bad port', ['serve', '--port', 'abc'], undefined, /--port must be/],
    [
      'no service named (no default address)',
      ['ingest', '-'],
      '{"type":"build","id":"x","buildId":"x"}',
      /^lineage: ingest needs the service: pass --api URL or set LINEAGE_API_URL\n$/,
    ],
    ['no service to verify', ['verify'], undefined, /verify \(without a bundle\) needs the service/],
  ];
  for (const [what, args, input, message] of failures) {
    it(`exits 2 with one clear line for ${what}`, async () => {
      const r = await lineage(args, input);
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('answers --help on every command, "help <command>" alike, and -v with the version', async () => {
    for (const command of ['blame', 'trace', 'check', 'evidence', 'doctor', 'record-deploy', 'serve', 'ingest', 'verify', 'demo']) {
      const r = await lineage([command, '--help']);
      assert.equal(r.status, 0, `${command} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: lineage ${command}`), command);
      const viaHelp = await lineage(['help', command]);
      assert.equal(viaHelp.stdout, r.stdout, `lineage help ${command}`);
    }
    for (const flag of ['-v', '--version']) assert.match((await lineage([flag])).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('names the field of an event the service rejects', async () => {
    const r = await lineage(
      ['ingest', '--api', t.url, '-'],
      JSON.stringify({ type: 'deployment', id: 'x', deploymentId: 'x', environment: 'prod', at: '2026-01-01T00:00:00Z' }),
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\/commit: a deployment needs a commit or an artifact digest/);
  });

  it('leads from the demo to the product: its next steps work as printed, and a second demo leaves the first alone', async function () {
    this.timeout(180_000);
    const dir = mkdtempSync(join(tmpdir(), 'lineage-demo-serving-'));
    const child = spawn(process.execPath, [cli, 'demo', '--port', '0', '--dir', dir], { env: { ...process.env, LINEAGE_API_URL: '' } });
    try {
      let stdout = '';
      await new Promise<void>((resolveReady, rejectReady) => {
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (/keeps running/.test(stdout)) resolveReady();
        });
        child.once('exit', (code) => rejectReady(new Error(`the demo exited with ${code}: ${stdout}`)));
      });
      const url = /export LINEAGE_API_URL=(\S+)/.exec(stdout)![1]!;
      const blame = /^\s+(node \S+ blame src\/payments\.js)$/m.exec(stdout)![1]!.split(' ');
      const repoDir = join(dir, 'shop-api');
      const asPrinted = await new Promise<{ status: number | null; out: string }>((resolveRun) => {
        const run = spawn(blame[0]!, [...blame.slice(1), '--json'], { cwd: repoDir, env: { ...process.env, LINEAGE_API_URL: url } });
        let out = '';
        run.stdout.on('data', (c: Buffer) => (out += c.toString()));
        run.on('close', (status) => resolveRun({ status, out }));
      });
      assert.equal(asPrinted.status, 0);
      const report = JSON.parse(asPrinted.out) as { source: string; environments: unknown[] };
      assert.equal(report.source, 'service', 'the printed command reads the demo service');
      assert.equal(report.environments.length, 3);
      assert.equal(
        JSON.parse(readFileSync(join(repoDir, '.vscode', 'settings.json'), 'utf8'))['lineage.api.url'],
        url,
        'the editor, opened there, reads it too',
      );
      const second = await lineage(['demo', '--port', '0', '--dir', dir]);
      assert.equal(second.status, 2);
      assert.match(second.stderr, /a demo is already serving from .* \(pid \d+, http:\/\/127\.0\.0\.1:\d+\)/);
      assert.ok(readdirSync(join(dir, 'data')).length > 0, "the first demo's data is still there");
      const health = await fetch(`${url}/v1/health`);
      assert.equal(health.status, 200, 'and it still serves');
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the demo, and runs it again from scratch with the same history', async function () {
    this.timeout(180_000);
    const dir = mkdtempSync(join(tmpdir(), 'lineage-demo-'));
    try {
      const runs = [
        await lineage(['demo', '--no-serve', '--port', '0', '--dir', dir]),
        await lineage(['demo', '--no-serve', '--port', '0', '--dir', dir]),
      ];
      for (const r of runs) {
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /Ingested \d+ events/);
        assert.match(r.stdout, /production .*\(hotfix\) by carol/);
        assert.match(r.stdout, /chain verified/);
      }
      const envLines = (s: string) => s.split('\n').filter((l) => /^\s+(dev|staging|production)\s/.test(l));
      assert.equal(envLines(runs[0]!.stdout).length, 3);
      assert.deepEqual(envLines(runs[1]!.stdout), envLines(runs[0]!.stdout));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
