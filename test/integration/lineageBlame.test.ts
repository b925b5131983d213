/**
 * `lineage blame` on real repositories through the real service over HTTP. Liveness is checked
 * line by line against an independent expectation: the files use distinct lines, so a line is live
 * in an environment exactly when its text occurs in the file at that environment's deployed
 * commit (found by plain `git show`, not by the engine).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';
import { startTestService, type TestService } from '../helpers/testService';

const lineage = runLineage;

const L = (n: number) => `const line${n} = ${n * 7}; // distinct line ${n}`;

describe('lineage blame', function () {
  this.timeout(120_000);
  let t: TestService;
  let repo: TestRepo;
  const c: Record<string, string> = {};
  let deployCount = 0;

  const deploy = async (environment: string, commit: string, at: string, extra: object = {}) => {
    const id = `d${++deployCount}`;
    await t.client.ingest(
      'events',
      JSON.stringify({ type: 'deployment', id, repo: 'acme/app', deploymentId: id, environment, commit, at, actor: 'ci-bot', ...extra }),
    );
    return id;
  };

  /** Expected liveness from git alone: does the buffer line's text occur in the file at the commit? */
  const expectLive = (bufferLines: string[], commit: string, pathAtCommit: string) => {
    let deployed: Set<string>;
    try {
      deployed = new Set(repo.show(commit, pathAtCommit));
    } catch {
      deployed = new Set();
    }
    return bufferLines.map((l) => deployed.has(l));
  };

  before(async () => {
    t = await startTestService('embedded');
    repo = TestRepo.init('acme/app');
    repo.write('app.js', [L(1), L(2), L(3), L(4), L(5)]);
    c.first = repo.commit('first');
    repo.git(['checkout', '-q', '-b', 'feature']);
    repo.write('app.js', [L(1), L(2), `${L(3)} // changed`, L(4), L(5), L(6)]);
    c.change = repo.commit('change line 3, add line 6');
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', 'Merge pull request #7', 'feature']);
    c.merge = repo.head();
    // A release branch from the first commit gets the change by cherry-pick.
    repo.git(['checkout', '-q', '-b', 'release', c.first]);
    repo.git(['cherry-pick', c.change]);
    c.picked = repo.head();
    repo.git(['checkout', '-q', 'main']);
    // Rename, then remove line 2 and restore it with a revert.
    repo.move('app.js', 'src/app.js');
    repo.write('src/app.js', [L(1), L(2), `${L(3)} // changed`, L(4), L(5), L(6), L(7)]);
    c.rename = repo.commit('move to src/, add line 7');
    repo.write('src/app.js', [L(1), `${L(3)} // changed`, L(4), L(5), L(6), L(7)]);
    c.drop = repo.commit('drop line 2');
    repo.git(['revert', '--no-edit', 'HEAD']);
    c.revert = repo.head();
    repo.write('src/app.js', [L(0), L(1), L(2), `${L(3)} // changed`, L(4), L(5), L(6), L(7), L(8)]);
    c.head = repo.commit('add lines 0 and 8');
    repo.write('logo.bin', Buffer.from([0, 1, 2, 3, 0, 255]).toString('latin1'));
    repo.commit('add a binary file');

    await t.client.ingest(
      'events',
      JSON.stringify([
        {
          type: 'pull_request',
          id: 'pr7',
          repo: 'acme/app',
          number: 7,
          title: 'Change line 3',
          author: 'bob',
          state: 'merged',
          headSha: c.change,
          mergeCommit: c.merge,
          mergedAt: repo.time(),
          commits: [c.change],
        },
        {
          type: 'review',
          id: 'rv1',
          repo: 'acme/app',
          reviewId: 'rv1',
          pullRequest: 7,
          reviewer: 'alice',
          state: 'approved',
          commit: c.first,
          at: repo.time(),
        },
        {
          type: 'review',
          id: 'rv2',
          repo: 'acme/app',
          reviewId: 'rv2',
          pullRequest: 7,
          reviewer: 'carol',
          state: 'approved',
          commit: c.change,
          at: repo.time(),
        },
      ]),
    );
    await deploy('production', c.first, '2026-03-02T10:00:00Z');
    await deploy('production', c.merge, '2026-03-03T10:00:00Z');
    await deploy('production', c.first, '2026-03-04T10:00:00Z', { kind: 'rollback', reason: 'bad release' });
    await deploy('release', c.picked, '2026-03-04T12:00:00Z');
    await deploy('staging', c.rename, '2026-03-05T10:00:00Z');
    await deploy('dev', c.drop, '2026-03-06T10:00:00Z');
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'finding',
        id: 'f1',
        repo: 'acme/app',
        findingId: 'err-1',
        kind: 'error',
        severity: 'critical',
        title: 'RangeError in line 4',
        environment: 'production',
        commit: c.first,
        locations: [{ path: 'src/app.js', line: 4, revision: c.first }],
      }),
    );
  });
  after(async () => {
    await t?.close();
    repo?.dispose();
  });

  it('marks each line live exactly where its text is deployed: renames, reverts, cherry-picks, rollbacks', async () => {
    const r = await lineage(repo.dir, ['blame', 'src/app.js', '--json', '--api', t.url]);
    assert.equal(r.status, 0, r.stderr);
    const buffer = r.json.lines.map((l: any) => l.text);
    assert.deepEqual(buffer, repo.show('HEAD', 'src/app.js'));
    const deployedPath = { production: 'app.js', release: 'app.js', staging: 'src/app.js', dev: 'src/app.js' } as const;
    const deployedCommit = { production: c.first!, release: c.picked!, staging: c.rename!, dev: c.drop! };
    for (const env of Object.keys(deployedPath) as (keyof typeof deployedPath)[]) {
      const expected = expectLive(buffer, deployedCommit[env], deployedPath[env]);
      const actual = r.json.lines.map((l: any) => l.environments.find((e: any) => e.name === env)?.live);
      assert.deepEqual(actual, expected, `${env} liveness`);
    }
    // Named cases, spelled out: the reverted line 2 runs in production though its blame commit
    // (the revert) is not an ancestor of production's commit; the cherry-picked change runs on
    // the release branch; the rollback took the change out of production.
    const line = (text: string) => r.json.lines.find((l: any) => l.text === text);
    const env = (l: any, name: string) => l.environments.find((e: any) => e.name === name);
    assert.equal(line(L(2)).commit.sha, c.revert);
    assert.equal(env(line(L(2)), 'production').live, true);
    assert.equal(env(line(L(2)), 'dev').live, false, 'dev runs the commit that dropped it');
    assert.equal(env(line(`${L(3)} // changed`), 'release').live, true);
    assert.equal(env(line(`${L(3)} // changed`), 'production').live, false);
    assert.equal(
      line(L(0)).environments.every((e: any) => e.live === false),
      true,
    );
  });

  it('says since which deployment a line has stayed live, across the rollback', async () => {
    const r = await lineage(repo.dir, ['blame', 'src/app.js', '--json', '--api', t.url]);
    const prod = (text: string) => r.json.lines.find((l: any) => l.text === text).environments.find((e: any) => e.name === 'production');
    assert.equal(prod(L(1)).since.deploymentId, 'd1', 'unchanged through every production deployment');
    assert.equal(prod(`${L(3)} // changed`).since, null);
    assert.equal(prod(L(4)).since.actor, 'ci-bot');
    const prodEnv = r.json.environments.find((e: any) => e.name === 'production');
    assert.equal(prodEnv.deploymentId, 'd3');
    assert.equal(prodEnv.kind, 'rollback');
  });

  it('gives the pull request and marks approvals given on an older commit as stale', async () => {
    const r = await lineage(repo.dir, ['blame', 'src/app.js', '--json', '--api', t.url, '--line', '4']);
    assert.equal(r.status, 0, r.stderr);
    const [l] = r.json.lines;
    assert.equal(l.line, 4);
    assert.equal(l.commit.sha, c.change);
    assert.equal(l.pullRequest.number, 7);
    const byReviewer = Object.fromEntries(l.approvals.map((a: any) => [a.reviewer, a]));
    assert.equal(byReviewer.alice.stale, true, 'alice approved the first commit, before the change');
    assert.equal(byReviewer.carol.stale, false);
    const table = await lineage(repo.dir, ['blame', 'src/app.js', '--api', t.url, '--line', '4']);
    assert.match(table.stdout, /^4 \w{7} .* #7 +alice\*,carol /m, 'who approved the line, a stale approval starred');
  });

  it("maps a finding from the revision it was reported against to today's line", async () => {
    const r = await lineage(repo.dir, ['blame', 'src/app.js', '--json', '--api', t.url]);
    const hits = r.json.lines.filter((l: any) => l.findings.length > 0);
    assert.equal(hits.length, 1);
    assert.equal(hits[0].text, L(4), 'line 4 at the first commit is line 5 today');
    assert.equal(hits[0].line, 5);
    assert.equal(hits[0].findings[0].id, 'err-1');
  });

  it('blames a dirty buffer: edited lines are not committed and not live anywhere', async () => {
    const buffer = [L(0), L(1), 'const typed = "just now";', L(2), `${L(3)} // changed`, L(4), L(5), L(6), L(7), L(8)].join('\n') + '\n';
    const r = await lineage(repo.dir, ['blame', 'src/app.js', '--json', '--api', t.url, '--contents', '-'], buffer);
    assert.equal(r.status, 0, r.stderr);
    const typed = r.json.lines[2];
    assert.equal(typed.text, 'const typed = "just now";');
    assert.equal(typed.commit, null);
    assert.ok(typed.environments.every((e: any) => e.live === false));
    assert.equal(r.json.lines[3].environments.find((e: any) => e.name === 'production').live, true, 'lines below the edit still map');
  });

  it('prints a compact table for people', async () => {
    const r = await lineage(repo.dir, ['blame', 'src/app.js', '--api', t.url, '--line', '2-3']);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^\s*\d+ /.test(l));
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, /● production/);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when not a terminal');
  });

  it('ends quietly with exit 0 when the reader stops early (| head)', async () => {
    // Far more output than a pipe holds, so the writes are still going when the reader leaves.
    const big = TestRepo.init('acme/big');
    try {
      big.write(
        'big.js',
        Array.from({ length: 5000 }, (_, i) => `export const v${i} = ${i};`),
      );
      big.commit('big');
      const child = spawn(process.execPath, [join(__dirname, '../../dist/cli.js'), 'blame', 'big.js', '--json', '--source', 'git'], {
        cwd: big.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(stderr, '', 'no EPIPE stack');
      assert.equal(status, 0);
    } finally {
      big.dispose();
    }
  });

  it('degrades to git only, with a notice and exit 0, when the service is down', async () => {
    const r = await lineage(repo.dir, ['blame', 'src/app.js', '--json', '--api', 'http://127.0.0.1:9']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /notice: cannot reach the service.*showing git only/);
    assert.equal(r.json.source, 'none');
    assert.equal(r.json.lines[0].commit.sha, c.head);
  });

  it('exits 2 with one line when the service answers garbage', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"environments": "lots"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await lineage(repo.dir, ['blame', 'src/app.js', '--api', `http://127.0.0.1:${(server.address() as AddressInfo).port}`]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /invalid response/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    } finally {
      server.close();
    }
  });

  const bad: [string, (dir: string) => string[], RegExp][] = [
    ['a line past the end', () => ['blame', 'src/app.js', '--line', '99'], /past the end of the file \(9 lines\)/],
    ['a bad line range', () => ['blame', 'src/app.js', '--line', '5-2'], /not a range/],
    ['a path outside the repository', () => ['blame', '/etc/passwd'], /outside the repository/],
    ['an untracked file', () => ['blame', 'untracked.js'], /not tracked by git/],
    ['a binary file', () => ['blame', 'logo.bin'], /binary file/],
  ];
  for (const [what, args, message] of bad) {
    it(`exits 2 with one clear line for ${what}`, async () => {
      repo.write('untracked.js', 'x\n');
      const r = await lineage(repo.dir, args(repo.dir));
      assert.equal(r.status, 2, r.stdout);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }

  it('exits 2 outside a git checkout', async () => {
    const r = await lineage('/', ['blame', 'etc/hostname']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a git checkout/);
  });

  it('says a deployed revision missing from a shallow clone must be fetched, instead of guessing', async () => {
    const shallow = new TestRepo(`${repo.dir}-shallow`);
    try {
      repo.git(['clone', '-q', '--no-tags', '--depth', '1', `file://${repo.dir}`, shallow.dir]);
      const r = await lineage(shallow.dir, ['blame', 'src/app.js', '--json', '--api', t.url, '--repo', 'acme/app']);
      assert.equal(r.status, 0, r.stderr);
      const prod = r.json.environments.find((e: any) => e.name === 'production');
      assert.equal(prod.note, `deployed revision ${c.first!.slice(0, 7)} not in this clone: git fetch`);
      assert.ok(r.json.lines.every((l: any) => l.environments.find((e: any) => e.name === 'production').live === null));
    } finally {
      shallow.dispose();
    }
  });
});

describe('lineage blame on git-native deploy tags', function () {
  this.timeout(120_000);
  let repo: TestRepo;
  before(() => {
    repo = TestRepo.init('acme/tags');
    repo.write('a.txt', ['alpha', 'beta', 'gamma'], '\r\n');
    repo.commit('first, with CRLF line endings');
    repo.write('logo.bin', Buffer.from([0, 1, 2, 3, 0, 255]).toString('latin1'));
    repo.commit('binary');
  });
  after(() => repo?.dispose());

  it('records deployments as tags and reads them back without a service', async () => {
    const first = repo.head();
    const rec = await lineage(repo.dir, [
      'record-deploy',
      'production',
      first,
      '--artifact',
      `sha256:${'ab'.repeat(32)}`,
      '--at',
      '2026-03-10T10:00:00Z',
    ]);
    assert.equal(rec.status, 0, rec.stderr);
    assert.match(rec.stdout, /^deploy\/production\/20260310T100000Z -> [0-9a-f]{40}/);
    const asJson = await lineage(repo.dir, ['record-deploy', 'dev', first, '--at', '2026-03-10T09:00:00Z', '--json']);
    assert.deepEqual(asJson.json, {
      tag: 'deploy/dev/20260310T090000Z',
      commit: first,
      environment: 'dev',
      kind: 'deploy',
      artifact: null,
      at: '2026-03-10T09:00:00.000Z',
    });
    repo.git(['tag', '-d', asJson.json.tag]); // production alone from here
    repo.write('a.txt', ['alpha', 'BETA', 'gamma'], '\r\n');
    repo.commit('shout beta');
    const r = await lineage(repo.dir, ['blame', 'a.txt', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.source, 'git');
    assert.deepEqual(
      r.json.lines.map((l: any) => l.environments[0].live),
      [true, false, true],
    );
    assert.equal(r.json.environments[0].artifact, `sha256:${'ab'.repeat(32)}`);
    assert.equal(r.json.lines[0].environments[0].since.deploymentId, 'deploy/production/20260310T100000Z');
  });

  it('refuses a hotfix without a reason and a bad environment name', async () => {
    assert.match((await lineage(repo.dir, ['record-deploy', 'production', '--kind', 'hotfix'])).stderr, /needs --reason/);
    assert.match((await lineage(repo.dir, ['record-deploy', '../../etc'])).stderr, /must be letters, digits/);
  });
});

describe('lineage blame --detect-moves', function () {
  this.timeout(120_000);
  let repo: TestRepo;
  const c: Record<string, string> = {};
  before(() => {
    repo = TestRepo.init('acme/moves');
    const block = Array.from({ length: 8 }, (_, i) => `  step${i}(input, ${i * 3}); // a distinctive line ${i}`);
    const other = Array.from({ length: 4 }, (_, i) => `  other${i}(output, ${i * 5}); // another distinctive line ${i}`);
    repo.write('m.js', ['function a() {', ...block, '}', 'function b() {', ...other, '}']);
    c.written = repo.commit('write a and b');
    repo.write('m.js', ['function b() {', ...other, '}', 'function a() {', ...block, '}']);
    c.moved = repo.commit('move a below b');
  });
  after(() => repo?.dispose());

  it('credits moved lines to the move by default and to the commit that wrote them with the flag', async () => {
    const plain = await lineage(repo.dir, ['blame', 'm.js', '--json']);
    const moves = await lineage(repo.dir, ['blame', 'm.js', '--json', '--detect-moves']);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(moves.status, 0, moves.stderr);
    // Git keeps one side of a swap as unchanged; whichever side it moved, -M finds its origin.
    const movedInPlain = plain.json.lines.filter((l: any) => l.commit.sha === c.moved).length;
    const movedWithFlag = moves.json.lines.filter((l: any) => l.commit.sha === c.moved && l.text.includes('distinctive')).length;
    assert.ok(movedInPlain > 0, 'plain blame credits some moved lines to the move');
    assert.equal(movedWithFlag, 0, 'with --detect-moves every moved line keeps its original commit');
  });
});
