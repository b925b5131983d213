import assert from 'node:assert/strict';
import { unapprovedCommits } from '../../../src/core/policy/rules/unapprovedCommits';
import { commit, context, facts, policy, pullRequest, review, sha } from '../../helpers/ruleFacts';

describe('rule unapproved-commits', () => {
  const a = commit('a');
  const b = commit('b');
  const c = commit('c');

  it('without a pull request, lists every commit of the branch as unreviewed', async () => {
    const [found] = await unapprovedCommits(facts({ commits: [a, b] }), policy(), context());
    assert.deepEqual(found!.evidence, { head: b.sha, commits: [a.sha, b.sha] });
  });

  it('lists the commits after the last approved one that change the diff, with the lines they touched', async () => {
    const [found] = await unapprovedCommits(
      facts({ commits: [a, b, c], pullRequest: pullRequest([review('alice', a.sha)]) }),
      policy(),
      context({ touched: { [b.sha]: ['app.js:3'] } }),
    );
    assert.ok('pullRequest' in found!.evidence);
    assert.deepEqual(
      found!.evidence.commits.map((x) => [x.sha, x.lines]),
      [
        [b.sha, ['app.js:3']],
        [c.sha, []],
      ],
    );
    assert.match(found!.message, /2 commits changed pull request #7 after the last approval \(aaaaaaa\)/);
  });

  it('passes when the approval covers the head, and skips commits that leave the diff as it was', async () => {
    assert.deepEqual(
      await unapprovedCommits(facts({ commits: [a, b], pullRequest: pullRequest([review('alice', b.sha)]) }), policy(), context()),
      [],
    );
    const unchanged = await unapprovedCommits(
      facts({ commits: [a, b], pullRequest: pullRequest([review('alice', a.sha)]) }),
      policy(),
      context({ samePatch: { [b.sha]: a.sha } }),
    );
    assert.deepEqual(unchanged, []);
  });

  it('an approval on a commit not in the clone covers nothing', async () => {
    const [found] = await unapprovedCommits(
      facts({ commits: [a], pullRequest: pullRequest([review('alice', sha('f'))]) }),
      policy(),
      context({ missing: [sha('f')] }),
    );
    assert.match(found!.message, /with no approval at all/);
  });
});
