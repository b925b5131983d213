/**
 * The clone's answer to "which main-line merge brought this commit in", on real repositories: the
 * usual shapes, and a history whose dates lie (a commit dated a year before its parent), where
 * the listing cut by date would miss that a commit was already on the main line.
 */
import assert from 'node:assert/strict';
import { Repository } from '../../src/core/git/repository';
import { TestRepo } from '../helpers/gitRepo';

const day = 86_400_000;
const at = (ms: number) => {
  const iso = new Date(ms).toISOString();
  return { GIT_AUTHOR_DATE: iso, GIT_COMMITTER_DATE: iso };
};

describe('the merge that brought a commit in, from the clone', function () {
  this.timeout(60_000);
  let repo: TestRepo;
  afterEach(() => repo.dispose());

  it("places a merged branch's own commits and nothing pushed to the main line", async () => {
    repo = TestRepo.init();
    repo.write('a.txt', ['base']);
    const base = repo.commit('base');
    repo.git(['checkout', '-q', '-b', 'feature']);
    repo.write('a.txt', ['base', 'f1']);
    const f1 = repo.commit('f1');
    repo.write('a.txt', ['base', 'f1', 'f2']);
    const f2 = repo.commit('f2');
    repo.git(['checkout', '-q', 'main']);
    repo.write('b.txt', ['direct']);
    const direct = repo.commit('pushed to main');
    repo.git(['merge', '-q', '--no-ff', '-m', 'Merge feature', 'feature']);
    const merge = repo.head();
    const found = await (await Repository.open(repo.dir)).introducingMerges([base, f1, f2, direct]);
    assert.deepEqual(Object.fromEntries(found), { [f1]: merge, [f2]: merge });
  });

  it('checks each placement against git when the history was listed only in part, so a lying date cannot misplace a commit', async () => {
    repo = TestRepo.init();
    const now = Date.parse('2026-06-01T00:00:00Z');
    repo.write('a.txt', ['base']);
    repo.commit('base', at(now - 400 * day));
    repo.git(['checkout', '-q', '-b', 'early']);
    repo.write('a.txt', ['base', 'x']);
    const x = repo.commit('x', at(now - 10 * day));
    // x's child, dated a year before it: a listing since a month before x stops short of it.
    repo.write('a.txt', ['base', 'x', 'y']);
    repo.commit('y', at(now - 365 * day));
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', 'Merge early', 'early'], at(now - 9 * day));
    // A second branch starts from x, which main already holds through the first merge.
    repo.git(['checkout', '-q', '-b', 'late', x]);
    repo.write('c.txt', ['z']);
    const z = repo.commit('z', at(now - 5 * day));
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', 'Merge late', 'late'], at(now - day));
    const late = repo.head();
    const found = await (await Repository.open(repo.dir)).introducingMerges([x, z]);
    assert.equal(found.get(z), late);
    assert.equal(found.has(x), false, 'x came in with the first merge, not the second');
  });
});
