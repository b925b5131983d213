import assert from 'node:assert/strict';
import { unsignedCommit } from '../../../src/core/policy/rules/unsignedCommit';
import { commit, context, facts, policy } from '../../helpers/ruleFacts';

describe('rule unsigned-commit', () => {
  const commits = [
    commit('a', { signature: 'G' }),
    commit('b', { signature: 'U' }),
    commit('c', { signature: 'N' }),
    commit('d', { signature: 'B' }),
  ];

  it('runs only when the policy requires signatures', async () => {
    assert.deepEqual(await unsignedCommit(facts({ commits }), policy(), context()), []);
  });

  it('flags every commit git does not call good (an untrusted key included), saying what git said', async () => {
    const found = await unsignedCommit(
      facts({ commits }),
      policy((p) => (p.rules['unsigned-commit'].required = true)),
      context(),
    );
    assert.deepEqual(
      found.map((f) => [f.evidence.signature, f.message.split(': ')[1]]),
      [
        ['U', 'signed with a key not trusted here (not in the allowed signers, or an untrusted GPG key)'],
        ['N', 'unsigned'],
        ['B', 'bad signature'],
      ],
    );
  });
});
