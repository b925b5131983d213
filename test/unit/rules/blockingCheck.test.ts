import assert from 'node:assert/strict';
import { blockingCheck } from '../../../src/core/policy/rules/blockingCheck';
import { build, commit, context, facts, lineageOf, policy } from '../../helpers/ruleFacts';

describe('rule blocking-check', () => {
  const head = commit('a');
  const withBuilds = (...builds: ReturnType<typeof build>[]) =>
    facts({ commits: [head], lineage: new Map([[head.sha, lineageOf(head.sha, { builds })]]) });
  const requiring = (...names: string[]) => policy((p) => (p.rules['blocking-check'].required = names));

  it('flags a failed check, and a required one that has not run or is still running', async () => {
    const found = await blockingCheck(
      withBuilds(build('lint', { conclusion: 'failure' }), build('e2e', { status: 'in_progress', conclusion: null })),
      requiring('unit', 'e2e'),
      context(),
    );
    assert.deepEqual(found.map((f) => f.message.replace(/ on aaaaaaa$/, '')).sort(), [
      'check "lint" failure',
      'required check "e2e" is still in_progress',
      'required check "unit" has not run',
    ]);
  });

  it('judges a check by its latest run', async () => {
    const found = await blockingCheck(
      withBuilds(
        build('ci', { conclusion: 'failure', startedAt: '2026-03-01T10:00:00Z' }),
        build('ci', { id: 'b2', conclusion: 'success', startedAt: '2026-03-01T11:00:00Z' }),
      ),
      requiring('ci'),
      context(),
    );
    assert.deepEqual(found, []);
  });
});
