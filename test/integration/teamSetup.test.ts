/**
 * The team setup page's recipes, run as written: the systemd unit's command line against
 * PostgreSQL with the variables its environment file names, and the GitHub Actions step that
 * records a deployment, with GitHub's variables set as Actions sets them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { listeningUrl } from '../helpers/serveProcess';
import { backends, freshStore, startTestService, type TestService } from '../helpers/testService';

const docs = join(__dirname, '../../docs/deploy');
const cli = join(__dirname, '../../dist/cli.js');

/** A `lineage` on PATH that runs the built CLI, as the installed command would. */
function shimDir(scratch: string): string {
  const dir = join(scratch, 'bin');
  mkdirSync(dir, { recursive: true });
  const shim = join(dir, 'lineage');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}

describe('the team setup recipes', function () {
  this.timeout(120_000);
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'lineage-team-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const backend of backends().filter((b) => b === 'postgres')) {
    it(`the systemd unit's command line serves from ${backend}, with the environment file's variables`, async () => {
      const unit = readFileSync(join(docs, 'lineage.service'), 'utf8');
      const execStart = /^ExecStart=(.+)$/m.exec(unit)![1]!;
      const store = await freshStore(backend);
      const env: Record<string, string> = {
        DATABASE_URL: store.databaseUrl!,
        LINEAGE_SIGNING_KEY: join(scratch, 'signing-key.pem'),
        LINEAGE_READ_TOKEN: 'read-token',
        LINEAGE_WRITE_TOKEN: 'write-token',
      };
      assert.deepEqual(
        [...execStart.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]).filter((name) => !(name! in env)),
        [],
        'every variable the unit uses is one the environment file sets',
      );
      for (const name of Object.keys(env))
        assert.match(readFileSync(join(docs, 'lineage.env.example'), 'utf8'), new RegExp(`^${name}=`, 'm'));
      // systemd expands ${VAR} from the environment file; the port is the one thing changed, so runs do not collide.
      const args = execStart
        .replace(/\$\{(\w+)\}/g, (_, name: string) => env[name]!)
        .split(/\s+/)
        .slice(1)
        .map((a, i, all) => (all[i - 1] === '--port' ? '0' : a));
      assert.equal(execStart.split(/\s+/)[0], '/usr/local/bin/lineage');
      // systemd gives the process the environment file's variables, and expands them in ExecStart.
      const child = spawn(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env } });
      try {
        const url = await listeningUrl(child);
        const health = await fetch(`${url}/v1/health`, { headers: { authorization: 'Bearer read-token' } });
        assert.equal(health.status, 200);
        assert.equal(((await health.json()) as { store: string }).store, 'postgres');
        assert.equal((await fetch(`${url}/v1/repos/acme/app/environments`)).status, 401, 'the read token is required');
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    });
  }

  describe('the GitHub Actions step that records a deployment', () => {
    let t: TestService;
    before(async () => {
      t = await startTestService('embedded');
    });
    after(async () => t?.close());

    it('runs as written and records the deployment with its commit, digest, actor and order', async () => {
      const [step] = parse(readFileSync(join(docs, 'record-deployment.yml'), 'utf8')) as { env: Record<string, string>; run: string }[];
      const values: Record<string, string> = {
        'vars.LINEAGE_API_URL': t.url,
        'secrets.LINEAGE_WRITE_TOKEN': 'write-token',
        'steps.push.outputs.digest': `sha256:${'ab'.repeat(32)}`,
        'vars.LINEAGE_TARBALL_URL': 'https://unused.invalid/lineage.tgz',
        'vars.LINEAGE_TARBALL_SHA256': '0'.repeat(64),
      };
      const expand = (text: string) => text.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => values[name] ?? `<${name}>`);
      const stepEnv = Object.fromEntries(Object.entries(step!.env).map(([k, v]) => [k, expand(v)]));
      const script = expand(step!.run);
      assert.doesNotMatch(script, /<[\w.]+>/, 'every expression of the step is one Actions provides');
      const commit = 'c'.repeat(40);
      // Run without blocking: the service under test answers from this process's event loop.
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn('bash', ['-e', '-c', script], {
          env: {
            PATH: `${shimDir(scratch)}:${process.env.PATH}`,
            HOME: process.env.HOME,
            ...stepEnv,
            // What GitHub Actions sets in every job.
            GITHUB_RUN_ID: '987654',
            GITHUB_RUN_ATTEMPT: '1',
            GITHUB_RUN_NUMBER: '42',
            GITHUB_REPOSITORY: 'acme/team',
            GITHUB_SHA: commit,
            GITHUB_ACTOR: 'release-bot',
            GITHUB_WORKFLOW: 'deploy',
          },
        });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('close', (status) => resolve({ status, stderr }));
      });
      assert.equal(r.status, 0, r.stderr);
      const history = (await t.client.deployments('acme/team', 'production')).deployments;
      const recorded = history.find((d) => d.id === '987654');
      assert.ok(recorded, JSON.stringify(history));
      assert.equal(recorded.commit, commit);
      assert.equal(recorded.artifact, values['steps.push.outputs.digest']);
      assert.equal(recorded.actor, 'release-bot');
      assert.equal(recorded.sequence, 42);
      assert.equal(recorded.runId, '987654', 'the run its environment approvals are given to');
    });
  });
});
