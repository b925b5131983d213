import assert from 'node:assert/strict';
import { hotfixWithoutReview } from '../../../src/core/policy/rules/hotfixWithoutReview';
import { commit, context, deployment, facts, lineageOf, policy, pullRequest, review } from '../../helpers/ruleFacts';

describe('rule hotfix-without-review', () => {
  const head = commit('a');
  const run = (reviews: ReturnType<typeof review>[], ...deployments: ReturnType<typeof deployment>[]) =>
    hotfixWithoutReview(
      facts({
        commits: [head],
        lineage: new Map([[head.sha, lineageOf(head.sha, { deployments, pullRequests: [pullRequest(reviews)] })]]),
      }),
      policy(),
      context(),
    );
  const hotfix = (over: Partial<ReturnType<typeof deployment>> = {}) =>
    deployment('h1', { kind: 'hotfix', commit: head.sha, at: '2026-03-02T10:00:00Z', ...over });

  it('flags a hotfix deployed before any approval of its change', async () => {
    const [found] = await run([], hotfix());
    assert.equal(found!.evidence.deployment, 'h1');
    assert.match(found!.message, /without review, with no reason recorded, and nobody has approved it since/);
  });

  it('accepts one reviewed before it shipped, or one with a reason and an approval after the fact', async () => {
    assert.deepEqual(await run([review('alice', head.sha, { at: '2026-03-02T09:00:00Z' })], hotfix()), []);
    assert.deepEqual(await run([review('alice', head.sha, { at: '2026-03-02T11:00:00Z' })], hotfix({ reason: 'INC-9 checkout down' })), []);
  });

  it('still flags a reasoned hotfix nobody approved since, and an approved one without a reason', async () => {
    assert.equal((await run([], hotfix({ reason: 'INC-9' }))).length, 1);
    const late = await run([review('alice', head.sha, { at: '2026-03-02T11:00:00Z' })], hotfix());
    assert.equal(late[0]!.evidence.approvedAfter, 'alice');
  });
});
