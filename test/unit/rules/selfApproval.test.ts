import assert from 'node:assert/strict';
import { selfApproval } from '../../../src/core/policy/rules/selfApproval';
import { commit, context, deployment, facts, lineageOf, policy, pullRequest, review } from '../../helpers/ruleFacts';

describe('rule self-approval', () => {
  it('flags the author approving their own pull request, whatever the case of the login', async () => {
    const found = await selfApproval(
      facts({ pullRequest: pullRequest([review('Dev', null), review('alice', null)], { author: 'dev' }) }),
      policy(),
      context(),
    );
    assert.deepEqual(
      found.map((f) => ('reviewer' in f.evidence ? f.evidence.reviewer : null)),
      ['Dev'],
    );
    assert.ok('pullRequest' in found[0]!.evidence && found[0]!.evidence.pullRequest?.number === 7);
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

  it('flags a deployer who approved their own deployment, not an approval by someone else', async () => {
    const head = commit('a');
    const approval = (id: string, approver: string) => ({
      id,
      deploymentId: null,
      environment: 'production',
      approver,
      state: 'approved' as const,
      comment: null,
      runId: null,
      at: null,
      eventKey: `ev-${id}`,
    });
    const deployments = [
      deployment('p1', { actor: 'ops', approvals: [approval('a1', 'OPS')] }),
      deployment('p2', { actor: 'ops', approvals: [approval('a2', 'grace')] }),
    ];
    const found = await selfApproval(
      facts({ commits: [head], lineage: new Map([[head.sha, lineageOf(head.sha, { deployments })]]) }),
      policy(),
      context(),
    );
    assert.deepEqual(
      found.map((f) => ('deployment' in f.evidence ? [f.evidence.deployment, f.evidence.approver] : null)),
      [['p1', 'OPS']],
    );
  });
});
