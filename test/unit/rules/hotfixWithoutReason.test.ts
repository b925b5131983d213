import assert from 'node:assert/strict';
import { hotfixWithoutReason } from '../../../src/core/policy/rules/hotfixWithoutReason';
import { commit, context, deployment, facts, lineageOf, policy } from '../../helpers/ruleFacts';

describe('rule hotfix-without-reason', () => {
  it('flags a hotfix with no (or a blank) reason, not one that gives it', async () => {
    const head = commit('a');
    const deployments = [
      deployment('h1', { kind: 'hotfix' }),
      deployment('h2', { kind: 'hotfix', reason: '  ' }),
      deployment('h3', { kind: 'hotfix', reason: 'INC-7 outage' }),
      deployment('d1'),
    ];
    const found = await hotfixWithoutReason(
      facts({ commits: [head], lineage: new Map([[head.sha, lineageOf(head.sha, { deployments })]]) }),
      policy(),
      context(),
    );
    assert.deepEqual(
      found.map((f) => f.evidence.deployment),
      ['h1', 'h2'],
    );
  });
});
