/**
 * Every program a repository (or the caller's environment) can make git run is planted with a
 * canary in a real repository, and every `lineage` command that starts git is run there: plain git
 * is shown to fire the canaries, the commands never do. Files under a filter driver (LFS, git-crypt)
 * blame correctly when the stored text is what is blamed, and say why in one line otherwise.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { plantCanaries, type Canaries } from '../helpers/canaries';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';
import { FakeGitHub } from '../helpers/githubServer';
import { startTestService, type TestService } from '../helpers/testService';

const L = (n: number) => `export const line${n} = ${n * 3}; // line ${n}`;

describe('no program a repository names ever runs', function () {
  this.timeout(180_000);
  let repo: TestRepo;
  let gh: FakeGitHub;
  let t: TestService;
  let canaries: Canaries;
  const c: Record<string, string> = {};
  let hostileEnv: Record<string, string>;
  let marker: string;
  const fired = () => canaries.fired();

  before(async () => {
    repo = TestRepo.init('acme/canary');
    repo.write('app.js', [L(1), L(2), L(3), L(4)]);
    c.first = repo.commit('first (APP-1)');
    repo.git(['checkout', '-q', '-b', 'feature']);
    repo.write('app.js', [L(1), L(2), `${L(3)} // changed`, L(4), L(5)]);
    c.change = repo.commit('change line 3 (APP-2)');
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', 'Merge pull request #7', 'feature']);
    c.merge = repo.head();
    repo.git(['checkout', '-q', 'feature']);

    gh = await new FakeGitHub({
      owner: 'acme',
      name: 'canary',
      token: 'good-token',
      environments: ['production'],
      deployments: [
        { id: 11, environment: 'production', sha: c.first, createdAt: '2026-03-02T10:00:00Z', creator: 'release-bot', state: 'success' },
      ],
      alerts: [],
      pulls: [
        {
          number: 7,
          title: 'Change line 3',
          author: 'bob',
          state: 'MERGED',
          headSha: c.change,
          headRef: 'feature',
          mergeCommit: c.merge,
          mergedAt: '2026-03-02T12:00:00Z',
          commits: [c.change],
          reviews: [{ id: 1, user: 'alice', state: 'APPROVED', commit: c.change, submittedAt: '2026-03-02T11:00:00Z' }],
        },
      ],
    }).start();
    repo.git(['remote', 'set-url', 'origin', `${gh.url}/acme/canary.git`]);
    t = await startTestService('embedded');
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'deployment',
        id: 'canary-d1',
        repo: 'acme/canary',
        deploymentId: 'prod-1',
        environment: 'production',
        commit: c.first,
        at: '2026-03-02T10:00:00Z',
        actor: 'ci-bot',
      }),
    );
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'pull_request',
        id: 'canary-pr7',
        repo: 'acme/canary',
        number: 7,
        title: 'Change line 3',
        author: 'bob',
        state: 'merged',
        headSha: c.change,
        mergeCommit: c.merge,
        commits: [c.change],
      }),
    );

    // Planted last, so building the repository above did not fire them.
    canaries = plantCanaries(repo);
    marker = canaries.marker;
    hostileEnv = canaries.env;
  });
  after(async () => {
    await gh?.close();
    await t?.close();
    repo?.dispose();
    if (canaries) rmSync(canaries.dir, { recursive: true, force: true });
  });

  it('plain git fires them (the threat is real)', () => {
    rmSync(marker, { force: true });
    repo.write('app.js', [L(1), L(2), `${L(3)} // changed`, L(4), L(5), L(6)]);
    for (const args of [['status'], ['diff'], ['log', '-p', '-1', '--', 'app.js'], ['blame', '--', 'app.js']]) {
      try {
        repo.git(args);
      } catch {
        // a canary that breaks git still ran
      }
    }
    repo.write('app.js', [L(1), L(2), `${L(3)} // changed`, L(4), L(5)]);
    const ran = fired();
    for (const what of ['core.fsmonitor', 'diff.canary.textconv', 'filter.canary.process'])
      assert.match(ran, new RegExp(what.replace(/\./g, '\\.')), `${what} fires under plain git`);
  });

  it('every command that starts git runs none of them', async () => {
    rmSync(marker, { force: true });
    const env = { ...hostileEnv, GITHUB_TOKEN: 'good-token' };
    const runs: [string, string[], number[]][] = [
      ['blame (github)', ['blame', 'app.js', '--json', '--github-url', gh.url], [0]],
      ['blame', ['blame', 'app.js', '--json', '--source', 'git'], [0]],
      ['blame --detect-moves', ['blame', 'app.js', '--json', '--detect-moves', '--source', 'git'], [0]],
      ['blame (service)', ['blame', 'app.js', '--json', '--api', t.url], [0]],
      ['trace', ['trace', '--revision', c.first!, '--json', '--source', 'git'], [0, 1]],
      ['check', ['check', '--base', 'main', '--head', 'feature', '--json', '--api', t.url], [0, 1]],
      ['evidence', ['evidence', 'app.js:3', '--api', t.url, '--repo', 'acme/canary'], [0, 1]],
      // The page draws the file's timeline: its history, renames and the versions deployed.
      [
        'evidence --format html',
        ['evidence', 'app.js:3', '--api', t.url, '--repo', 'acme/canary', '--format', 'html', '--out', '/dev/null'],
        [0, 1],
      ],
      ['record-deploy', ['record-deploy', 'staging', 'HEAD', '--reason', 'canary'], [0]],
      ['doctor', ['doctor', '--github-url', gh.url], [0, 1]],
      ['sync', ['sync', 'github', '--api', t.url, '--github-url', gh.url], [0]],
    ];
    const trace = `Error: boom\n    at f (/app/app.js:3:5)\n`;
    for (const [name, args, ok] of runs) {
      const r = await runLineage(repo.dir, args, name === 'trace' ? trace : undefined, env);
      assert.ok(ok.includes(r.status ?? -1), `${name} exited ${r.status}: ${r.stderr}`);
      assert.equal(fired(), '', `${name} ran a planted program`);
    }
    // The commands did their work: the blame is git's, the tag exists.
    const blame = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--source', 'git'], undefined, env);
    assert.equal(blame.json.lines[2].commit.sha, c.change);
    assert.match(repo.git(['tag', '--list', 'deploy/staging/*']), /deploy\/staging\//);
    assert.equal(fired(), '');
  });

  it('a file under a configured filter blames when its stored text is what is blamed, and says why when not', async () => {
    rmSync(marker, { force: true });
    // The working file is what git stores: the neutralised filter changes nothing, so the blame is right.
    const same = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--source', 'git'], undefined, hostileEnv);
    assert.equal(same.status, 0, same.stderr);
    // An LFS checkout: the working file is the smudged content, git stores a pointer.
    writeFileSync(join(repo.dir, 'app.js'), 'binary-ish smudged content\n');
    const smudged = await runLineage(repo.dir, ['blame', 'app.js', '--source', 'git'], undefined, hostileEnv);
    assert.equal(smudged.status, 2, smudged.stdout);
    assert.equal(smudged.stderr.trim().split('\n').length, 1, smudged.stderr);
    assert.match(smudged.stderr, /app\.js goes through the "canary" filter, .* does not run/);
    repo.write('app.js', [L(1), L(2), `${L(3)} // changed`, L(4), L(5)]);
    assert.equal(fired(), '');
  });

  it("a partial clone's missing objects are not fetched: the remote's upload-pack never runs, whatever protocol the repository allows", async () => {
    // A blob-less clone over file://, so blaming history needs objects the clone does not have:
    // git would fetch them by running remote.origin.uploadpack, a key whose first value wins over
    // every override, after protocol.file.allow, which outranks protocol.allow.
    const scratch = mkdtempSync(join(tmpdir(), 'lineage-partial-'));
    try {
      repo.git(['config', 'uploadpack.allowFilter', 'true']);
      const clone = join(scratch, 'clone');
      const plain = (args: string[], cwd = scratch) =>
        execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      plain([
        '-c',
        'protocol.file.allow=always',
        'clone',
        '-q',
        '--no-local',
        '--filter=blob:none',
        '--no-checkout',
        '--branch',
        'main',
        `file://${repo.dir}`,
        clone,
      ]);
      const canary = join(scratch, 'upload-pack');
      const partialMarker = join(scratch, 'FIRED');
      writeFileSync(canary, `#!/bin/sh\necho "uploadpack $*" >> "${partialMarker}"\nexec git-upload-pack "$@"\n`);
      chmodSync(canary, 0o755);
      plain(['config', 'protocol.file.allow', 'always'], clone);
      plain(['config', 'protocol.allow', 'always'], clone);
      plain(['config', 'remote.origin.uploadpack', canary], clone);
      plain(['config', 'core.sparseCheckout', 'false'], clone);
      // The working file comes from HEAD's blob, fetched once here by plain git (the threat is real).
      plain(['checkout', '-q', 'main', '--', 'app.js'], clone);
      assert.match(readFileSync(partialMarker, 'utf8'), /uploadpack/);
      rmSync(partialMarker);
      const missing = plain(['rev-list', '--objects', '--missing=print', '--all'], clone)
        .split('\n')
        .filter((l) => l.startsWith('?'));
      assert.ok(missing.length > 0, 'the clone lacks older blobs');
      for (const args of [
        ['blame', 'app.js', '--json', '--source', 'git'],
        ['blame', 'app.js', '--json', '--detect-moves', '--source', 'git'],
        ['trace', '--revision', c.first!, '--json', '--source', 'git'],
      ]) {
        const r = await runLineage(clone, args, args[0] === 'trace' ? 'Error: boom\n    at f (/app/app.js:3:5)\n' : undefined);
        assert.ok(r.status === 0 || r.status === 1 || r.status === 2, `${args.join(' ')} exited ${r.status}: ${r.stderr}`);
        assert.equal(
          existsSync(partialMarker) ? readFileSync(partialMarker, 'utf8') : '',
          '',
          `${args.join(' ')} ran the remote's upload-pack`,
        );
        if (args[0] === 'blame') assert.match(r.stderr, /needs objects this partial clone does not have, and Code Lineage fetches nothing/);
      }
      // doctor says why, up front.
      const doctor = await runLineage(clone, ['doctor', '--json', '--source', 'git']);
      const cloneCheck = (doctor.json.checks as { name: string; ok: boolean; detail: string }[]).find((c) => c.name === 'clone');
      assert.equal(cloneCheck?.ok, false, doctor.stdout);
      assert.match(cloneCheck.detail, /^partial \(objects come from "origin"/);
      assert.equal(existsSync(partialMarker) ? readFileSync(partialMarker, 'utf8') : '', '', "doctor ran the remote's upload-pack");
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
