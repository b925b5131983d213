import assert from 'node:assert/strict';
import { policyChangedInBranch } from '../../../src/core/policy/rules/policyChangedInBranch';
import { evaluate } from '../../../src/core/policy/rules/ruleTable';
import { context, facts, policy, sha } from '../../helpers/ruleFacts';

describe('rule policy-changed-in-branch', () => {
  const changed = facts({
    policy: { file: '.lineage/policy.yaml', baseCommit: sha('9'), changed: { file: '.lineage/policy.yaml', change: 'changed' } },
  });

  it("says the branch's policy edit applies after merge, naming the policy that judged it", async () => {
    const [found] = await policyChangedInBranch(changed, policy(), context());
    assert.deepEqual(found!.evidence, {
      file: '.lineage/policy.yaml',
      change: 'changed',
      judgedBy: '.lineage/policy.yaml',
      baseCommit: sha('9'),
    });
    assert.match(found!.message, /applies after merge; this branch is judged by \.lineage\/policy\.yaml on main \(9999999\)/);
  });

  it('is blocking by default, first in the results, and silent when set to off', async () => {
    const all = await evaluate(changed, policy(), context());
    assert.equal(all[0]!.rule, 'policy-changed-in-branch');
    assert.equal(all[0]!.severity, 'blocking');
    const off = await evaluate(
      changed,
      policy((p) => (p.rules['policy-changed-in-branch'].severity = 'off')),
      context(),
    );
    assert.ok(!off.some((v) => v.rule === 'policy-changed-in-branch'));
  });
});
