/**
 * `lineage` as a user installs it: the tarball `npm pack` makes, installed with `npm install -g`
 * into an empty prefix, answers --version, blames a file of a fresh repository and serves, with
 * nothing of the clone beside it (its bundles and the store's packages are all it has).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestRepo } from '../helpers/gitRepo';
import { listeningUrl } from '../helpers/serveProcess';

const root = join(__dirname, '../..');

describe('lineage installed from its tarball', function () {
  this.timeout(300_000);
  let scratch: string;
  let lineage: string;
  let repo: TestRepo;

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'lineage-install-'));
    execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'))!;
    const prefix = join(scratch, 'prefix');
    // The store's packages come from npm's cache when the project's own install put them there.
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(scratch, tarball)], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    lineage = join(prefix, 'bin', 'lineage');
    repo = TestRepo.init('acme/installed');
    repo.write('app.js', ['export const a = 1;', 'export const b = 2;']);
    repo.commit('first');
  });
  after(() => {
    repo?.dispose();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const run = (args: string[], cwd: string) =>
    execFileSync(lineage, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });

  it('answers --version and blames a file of a fresh repository', () => {
    assert.match(run(['--version'], scratch), /^\d+\.\d+\.\d+\n$/);
    const report = JSON.parse(run(['blame', 'app.js', '--json', '--source', 'git'], repo.dir)) as { lines: { text: string }[] };
    assert.deepEqual(
      report.lines.map((l) => l.text),
      ['export const a = 1;', 'export const b = 2;'],
    );
  });

  it('serves, with the embedded store from the installed packages', async () => {
    const child = spawn(lineage, ['serve', '--port', '0', '--data', join(scratch, 'data')], {
      cwd: scratch,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    try {
      const url = await listeningUrl(child);
      const health = (await (await fetch(`${url}/v1/health`)).json()) as { status: string; store: string };
      assert.deepEqual([health.status, health.store], ['ok', 'embedded']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
