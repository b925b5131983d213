/**
 * A shallow clone (CI's usual checkout) cuts the history: git's blame credits every older line to
 * the commit at the cut. The answer and the file's timeline say so instead of presenting those
 * lines as that commit's work, and `check` refuses to judge a branch it cannot tell from its base.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repository } from '../../src/core/git/repository';
import { gatherTimeline } from '../../src/core/picture/timelineData';
import { defaultEnvironmentPolicy } from '../../src/core/present/environments';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';

describe('a shallow clone', function () {
  this.timeout(60_000);
  let repo: TestRepo;
  let scratch: string;

  before(() => {
    repo = TestRepo.init();
    repo.write('app.js', ['one', 'two', 'three']);
    repo.commit('first');
    repo.write('app.js', ['one', 'TWO', 'three']);
    repo.commit('second');
    repo.write('app.js', ['one', 'TWO', 'three', 'four']);
    repo.commit('third');
    scratch = mkdtempSync(join(tmpdir(), 'lineage-shallow-'));
  });
  after(() => {
    repo.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  const clone = (name: string, depth: string[]) => {
    const dir = join(scratch, name);
    execFileSync('git', ['clone', '-q', ...depth, `file://${repo.dir}`, dir], { stdio: 'ignore' });
    return dir;
  };

  /** The notices of app.js's timeline in the clone at `dir`, git alone. */
  const timelineNotices = async (dir: string) =>
    (await gatherTimeline({ repo: await Repository.open(dir), path: 'app.js', slug: null, source: null, policy: defaultEnvironmentPolicy }))
      .notices;

  it('says which lines are credited to the cut, and a full clone says nothing of the kind', async () => {
    const shallow = await runLineage(clone('depth-2', ['--depth', '2']), ['blame', 'app.js', '--json', '--source', 'git']);
    assert.equal(shallow.status, 0, shallow.stderr);
    const tip = repo.git(['rev-parse', 'HEAD']);
    const cutAt = repo.git(['rev-parse', 'HEAD~1']);
    // Depth 2 keeps the third and second commits: "one" and "three" (first commit) are credited
    // to the second, where the history stops, together with the second's own "TWO".
    assert.deepEqual(
      shallow.json.lines.map((l: { commit: { sha: string } }) => l.commit.sha),
      [cutAt, cutAt, cutAt, tip],
    );
    const notice = (shallow.json.notices as string[]).find((n) => n.includes('shallow'));
    assert.ok(notice, JSON.stringify(shallow.json.notices));
    assert.match(notice, new RegExp(`history stops at ${cutAt.slice(0, 7)}, so 3 line\\(s\\) credited to it may be older`));
    assert.match(notice, /git fetch --unshallow/);

    const text = await runLineage(clone('depth-2-text', ['--depth', '2']), ['blame', 'app.js', '--source', 'git']);
    assert.match(text.stdout, /notice: this clone is shallow/);

    // The file's timeline starts at the cut, and says so.
    const cutNotices = await timelineNotices(join(scratch, 'depth-2'));
    assert.ok(
      cutNotices.some((n) => n.includes(`the file's history stops at ${cutAt.slice(0, 7)}`)),
      JSON.stringify(cutNotices),
    );

    const full = await runLineage(clone('full', []), ['blame', 'app.js', '--json', '--source', 'git']);
    assert.equal(full.status, 0, full.stderr);
    assert.ok(!(full.json.notices as string[]).some((n) => n.includes('shallow')), JSON.stringify(full.json.notices));
    assert.deepEqual(await timelineNotices(join(scratch, 'full')), []);
  });

  it('lineage doctor says the clone is shallow, and a full clone is whole', async () => {
    const clone = (name: string) => (name === 'full' ? join(scratch, 'full') : join(scratch, 'depth-2'));
    const byName = async (dir: string) =>
      Object.fromEntries(
        (
          (await runLineage(dir, ['doctor', '--json', '--source', 'git'])).json.checks as { name: string; ok: boolean; detail: string }[]
        ).map((c) => [c.name, c]),
      );
    const shallow = (await byName(clone('depth-2'))).clone!;
    assert.equal(shallow.ok, false);
    assert.match(shallow.detail, /^shallow: the history stops at [0-9a-f]{7}/);
    assert.deepEqual((await byName(clone('full'))).clone, { name: 'clone', ok: true, detail: 'full history' });
  });

  it('lineage check refuses to judge a branch whose common history with the base the clone does not have', async () => {
    repo.git(['checkout', '-q', '-b', 'feature']);
    repo.write('app.js', ['one', 'TWO', 'three', 'four', 'five']);
    repo.commit('fifth (APP-5)');
    repo.git(['checkout', '-q', 'main']);
    repo.write('other.js', ['x']);
    repo.commit('main moves on (APP-6)');
    const dir = join(scratch, 'check-shallow');
    execFileSync('git', ['clone', '-q', '--depth', '1', '--no-single-branch', `file://${repo.dir}`, dir], { stdio: 'ignore' });
    const r = await runLineage(dir, ['check', '--base', 'origin/main', '--head', 'origin/feature', '--source', 'git']);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /have no common history in this clone, which is shallow .*git fetch --unshallow/);
    // With the whole history the same check runs.
    execFileSync('git', ['fetch', '-q', '--unshallow'], { cwd: dir, stdio: 'ignore' });
    const whole = await runLineage(dir, ['check', '--base', 'origin/main', '--head', 'origin/feature', '--source', 'git', '--json']);
    assert.ok(whole.status === 0 || whole.status === 1, whole.stderr);
    assert.ok(whole.json, whole.stdout);
  });
});
