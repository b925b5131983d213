import assert from 'node:assert/strict';
import { rebuiltArtifact } from '../../../src/core/policy/rules/rebuiltArtifact';
import { commit, context, deployment, digest, facts, lineageOf, policy } from '../../helpers/ruleFacts';

describe('rule rebuilt-artifact', () => {
  const head = commit('a');
  const run = (...deployments: ReturnType<typeof deployment>[]) =>
    rebuiltArtifact(facts({ commits: [head], lineage: new Map([[head.sha, lineageOf(head.sha, { deployments })]]) }), policy(), context());

  it('flags production running a digest staging never validated for the same commit', async () => {
    const found = await run(
      deployment('s1', { environment: 'staging', artifact: digest('1') }),
      deployment('p1', { artifact: digest('2') }),
    );
    assert.equal(found.length, 1);
    assert.deepEqual(found[0]!.evidence.validated, [digest('1')]);
    assert.equal(found[0]!.evidence.deployed, digest('2'));
  });

  it('passes a promoted digest, and says nothing without a staging deployment', async () => {
    assert.deepEqual(
      await run(deployment('s1', { environment: 'staging', artifact: digest('1') }), deployment('p1', { artifact: digest('1') })),
      [],
    );
    assert.deepEqual(await run(deployment('p1', { artifact: digest('2') })), []);
  });
});
