import assert from 'node:assert/strict';
import { unapprovedProductionDeployment } from '../../../src/core/policy/rules/unapprovedProductionDeployment';
import { commit, context, deployment, facts, lineageOf, policy } from '../../helpers/ruleFacts';

describe('rule unapproved-production-deployment', () => {
  it('flags a successful production deployment nobody approved; rollbacks, other environments and failures are not', async () => {
    const head = commit('a');
    const approval = {
      id: 'ap',
      deploymentId: 'p2',
      environment: 'production',
      approver: 'grace',
      state: 'approved' as const,
      comment: null,
      runId: null,
      at: null,
      eventKey: 'ev-ap',
    };
    const deployments = [
      deployment('p1'),
      deployment('p2', { approvals: [approval] }),
      deployment('p3', { kind: 'rollback' }),
      deployment('s1', { environment: 'staging' }),
      deployment('p4', { status: 'failure' }),
    ];
    const found = await unapprovedProductionDeployment(
      facts({ commits: [head], lineage: new Map([[head.sha, lineageOf(head.sha, { deployments })]]) }),
      policy(),
      context(),
    );
    assert.deepEqual(
      found.map((f) => f.evidence.deployment),
      ['p1'],
    );
  });

  it("follows the policy's name for production", async () => {
    const head = commit('a');
    const found = await unapprovedProductionDeployment(
      facts({
        commits: [head],
        lineage: new Map([[head.sha, lineageOf(head.sha, { deployments: [deployment('p1', { environment: 'prod' })] })]]),
      }),
      policy((p) => (p.environments.production = 'prod')),
      context(),
    );
    assert.equal(found.length, 1);
  });
});
