import assert from 'node:assert/strict';
import { selfApproval } from '../../../src/core/policy/rules/selfApproval';
import { context, facts, policy, pullRequest, review } from '../../helpers/ruleFacts';

describe('rule self-approval', () => {
  it('flags the author approving their own pull request, whatever the case of the login', async () => {
    const found = await selfApproval(
      facts({ pullRequest: pullRequest([review('Dev', null), review('alice', null)], { author: 'dev' }) }),
      policy(),
      context(),
    );
    assert.deepEqual(
      found.map((f) => f.evidence.reviewer),
      ['Dev'],
    );
    assert.equal(found[0]!.evidence.pullRequest?.number, 7);
  });

  it('ignores reviews that do not approve, and pull requests without an author', async () => {
    assert.deepEqual(
      await selfApproval(facts({ pullRequest: pullRequest([review('dev', null, { state: 'changes_requested' })]) }), policy(), context()),
      [],
    );
    assert.deepEqual(
      await selfApproval(facts({ pullRequest: pullRequest([review('dev', null)], { author: null }) }), policy(), context()),
      [],
    );
  });
});
