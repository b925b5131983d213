import assert from 'node:assert/strict';
import { missingChangeReference } from '../../../src/core/policy/rules/missingChangeReference';
import { commit, context, facts, policy, sha } from '../../helpers/ruleFacts';

describe('rule missing-change-reference', () => {
  it('flags commits with neither a ticket nor a conventional type, never merge commits', async () => {
    const commits = [
      commit('a', { message: 'PAY-12 round totals', subject: 'PAY-12 round totals' }),
      commit('b', { message: 'fix(cart): rounding', subject: 'fix(cart): rounding' }),
      commit('c', { message: 'tweak', subject: 'tweak' }),
      commit('d', { message: 'Merge branch main', subject: 'Merge branch main', parents: [sha('1'), sha('2')] }),
    ];
    const found = await missingChangeReference(facts({ commits }), policy(), context());
    assert.deepEqual(
      found.map((f) => f.evidence.subject),
      ['tweak'],
    );
  });

  it("uses the policy's own pattern", async () => {
    const found = await missingChangeReference(
      facts({ commits: [commit('a', { message: 'PAY-12 x' })] }),
      policy((p) => (p.rules['missing-change-reference'].pattern = '#\\d+')),
      context(),
    );
    assert.equal(found[0]!.evidence.pattern, '#\\d+');
  });
});
