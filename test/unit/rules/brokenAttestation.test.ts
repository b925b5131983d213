import assert from 'node:assert/strict';
import { brokenAttestation } from '../../../src/core/policy/rules/brokenAttestation';
import { attestation, commit, context, deployment, digest, facts, lineageOf, policy, sha } from '../../helpers/ruleFacts';

describe('rule broken-attestation', () => {
  const head = commit('a', { committedAt: '2026-03-01T10:00:00Z' });
  const prod = deployment('p1', { commit: head.sha, artifact: digest('1') });
  const run = (byDigest: ReturnType<typeof attestation>[], ofCommit: ReturnType<typeof attestation>[] = [], d = prod) =>
    brokenAttestation(
      facts({
        commits: [head],
        lineage: new Map([[head.sha, lineageOf(head.sha, { deployments: [d], attestations: ofCommit })]]),
        attestationsByDigest: new Map([[digest('1'), byDigest]]),
      }),
      policy(),
      context(),
    );

  it('accepts provenance about the deployed digest, naming its commit, made after it', async () => {
    assert.deepEqual(await run([attestation('ok', digest('1'), { commit: head.sha, finishedAt: '2026-03-01T10:10:00Z' })]), []);
  });

  it('flags provenance naming another commit, or made before the commit', async () => {
    const other = await run([attestation('x', digest('1'), { commit: sha('b'), finishedAt: '2026-03-01T10:10:00Z' })]);
    assert.deepEqual(
      other.map((f) => f.evidence.problem),
      ['other-commit'],
    );
    const early = await run([attestation('y', digest('1'), { commit: head.sha, finishedAt: '2026-03-01T09:00:00Z' })]);
    assert.deepEqual(
      early.map((f) => f.evidence.problem),
      ['before-commit'],
    );
  });

  it('flags a commit whose provenance covers other digests only, and looks at production deployments only', async () => {
    const covers = await run([], [attestation('z', digest('2'), { commit: head.sha })]);
    assert.deepEqual(
      covers.map((f) => f.evidence.problem),
      ['other-subject'],
    );
    const staging = await run(
      [attestation('x', digest('1'), { commit: sha('b') })],
      [],
      deployment('s1', { environment: 'staging', commit: head.sha, artifact: digest('1') }),
    );
    assert.deepEqual(staging, []);
  });
});
