import assert from 'node:assert/strict';
import { staleApproval } from '../../../src/core/policy/rules/staleApproval';
import { build, commit, context, facts, lineageOf, policy, pullRequest, review, sha } from '../../helpers/ruleFacts';

describe('rule stale-approval', () => {
  const a = commit('a');
  const b = commit('b');

  it('flags an approval given on a commit whose change the head has modified', async () => {
    const found = await staleApproval(facts({ commits: [a, b], pullRequest: pullRequest([review('alice', a.sha)]) }), policy(), context());
    assert.equal(found.length, 1);
    assert.equal(found[0]!.evidence.reviewer, 'alice');
    assert.ok('approvedCommit' in found[0]!.evidence && found[0]!.evidence.approvedCommit === a.sha);
    assert.match(found[0]!.message, /alice approved aaaaaaa, but the change has been modified since/);
  });

  it('keeps an approval whose change is the head (same patch after a rebase)', async () => {
    const found = await staleApproval(
      facts({ commits: [a, b], pullRequest: pullRequest([review('alice', a.sha)]) }),
      policy(),
      context({ samePatch: { [b.sha]: a.sha } }),
    );
    assert.deepEqual(found, []);
  });

  it('flags an approval on a commit force-pushed away', async () => {
    const found = await staleApproval(
      facts({ commits: [a], pullRequest: pullRequest([review('bob', sha('f'))]) }),
      policy(),
      context({ missing: [sha('f')] }),
    );
    assert.match(found[0]!.message, /not in this clone/);
  });

  it('with maxAge, flags an approval older than max(maxAge, twice the build) before the merge', async () => {
    const pr = pullRequest([review('alice', a.sha, { at: '2026-03-01T08:00:00Z' })], { mergedAt: '2026-03-01T10:00:00Z' });
    const slowBuild = build('ci', { startedAt: '2026-03-01T09:00:00Z', finishedAt: '2026-03-01T10:30:00Z' });
    const strict = policy((p) => (p.rules['stale-approval'].maxAge = '1h'));
    const found = await staleApproval(facts({ commits: [a], pullRequest: pr }), strict, context());
    assert.equal(found.length, 1);
    assert.ok('limitMinutes' in found[0]!.evidence && found[0]!.evidence.limitMinutes === 60);
    const withBuild = await staleApproval(
      facts({ commits: [a], pullRequest: pr, lineage: new Map([[a.sha, lineageOf(a.sha, { builds: [slowBuild] })]]) }),
      strict,
      context(),
    );
    assert.deepEqual(withBuild, [], 'a 90-minute build allows three hours');
  });

  it('by default, an approval more than an hour before the merge is stale, with both times; an open pull request has no merge yet', async () => {
    const approved = review('alice', a.sha, { at: '2026-03-01T08:00:00Z' });
    const merged = await staleApproval(
      facts({ commits: [a], pullRequest: pullRequest([approved], { mergedAt: '2026-03-01T09:30:00Z' }) }),
      policy(),
      context(),
    );
    assert.equal(merged.length, 1);
    assert.ok('mergedAt' in merged[0]!.evidence);
    assert.deepEqual(
      [merged[0]!.evidence.at, 'mergedAt' in merged[0]!.evidence ? merged[0]!.evidence.mergedAt : null],
      ['2026-03-01T08:00:00Z', '2026-03-01T09:30:00Z'],
    );
    assert.deepEqual(await staleApproval(facts({ commits: [a], pullRequest: pullRequest([approved]) }), policy(), context()), []);
  });
});
