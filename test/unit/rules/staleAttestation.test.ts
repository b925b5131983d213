import assert from 'node:assert/strict';
import { staleAttestation } from '../../../src/core/policy/rules/staleAttestation';
import { attestation, commit, context, deployment, digest, facts, lineageOf, policy } from '../../helpers/ruleFacts';

describe('rule stale-attestation', () => {
  const head = commit('a', { committedAt: '2026-03-01T10:00:00Z' });

  it('flags provenance generated before the commit it claims to cover', async () => {
    const att = attestation('att-1', digest('1'), { finishedAt: '2026-03-01T09:00:00Z' });
    const found = await staleAttestation(
      facts({ commits: [head], lineage: new Map([[head.sha, lineageOf(head.sha, { attestations: [att] })]]) }),
      policy(),
      context(),
    );
    assert.equal(found.length, 1);
    assert.ok('attestation' in found[0]!.evidence && found[0]!.evidence.attestationEventKey === 'ev-att-1');
  });

  it('flags a deployed artifact without provenance, and not one with it', async () => {
    const shipped = deployment('d1', { artifact: digest('2') });
    const attested = deployment('d2', { artifact: digest('3') });
    const lineage = lineageOf(head.sha, {
      deployments: [shipped, attested],
      attestations: [attestation('att-3', digest('3'), { finishedAt: '2026-03-01T11:00:00Z' })],
    });
    const found = await staleAttestation(facts({ commits: [head], lineage: new Map([[head.sha, lineage]]) }), policy(), context());
    assert.deepEqual(
      found.map((f) => ('deployment' in f.evidence ? f.evidence.deployment : null)),
      ['d1'],
    );
  });
});
