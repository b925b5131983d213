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

describe('rule rebuilt-artifact along the promotion order', () => {
  const head = commit('a');
  const run = (order: string[] | null, ...deployments: ReturnType<typeof deployment>[]) =>
    rebuiltArtifact(
      facts({ commits: [head], lineage: new Map([[head.sha, lineageOf(head.sha, { deployments })]]) }),
      policy((p) => {
        if (order) p.environments.order = order;
      }),
      context(),
    );

  it('checks every pair: dev to staging as well as staging to production', async () => {
    const found = await run(
      null,
      deployment('d1', { environment: 'dev', artifact: digest('1') }),
      deployment('s1', { environment: 'staging', artifact: digest('2') }),
      deployment('p1', { environment: 'production', artifact: digest('2') }),
    );
    assert.deepEqual(
      found.map((f) => [f.evidence.validatedIn, f.evidence.environment, f.evidence.deployment]),
      [['dev', 'staging', 's1']],
    );
  });

  it('skips an environment the commit never reached, and follows a custom order', async () => {
    const found = await run(
      ['qa', 'canary', 'prod'],
      deployment('q1', { environment: 'qa', artifact: digest('1') }),
      deployment('p1', { environment: 'prod', artifact: digest('3') }),
    );
    assert.deepEqual(
      found.map((f) => [f.evidence.validatedIn, f.evidence.environment]),
      [['qa', 'prod']],
    );
  });
});
