/**
 * broken-attestation: provenance is checked, not just matched. For each production deployment of
 * an artifact, every provenance statement about that digest must name the deployment's commit and
 * have been made after that commit, and a signed one must verify (under the service's trust); a
 * commit whose provenance covers other digests only does not vouch for the one deployed.
 */
import type { Attestation } from '../../model/domain';
import { branchDeployments, short, type Found, type Rule } from './ruleFacts';

export interface BrokenAttestationEvidence {
  deployment: string;
  artifact: string;
  commit: string | null;
  attestation: string | null;
  /** What does not hold: the commit it names, when it was made, or the digest it is about. */
  problem: 'other-commit' | 'before-commit' | 'other-subject' | 'bad-signature';
  detail: string;
  attestationEventKey: string | null;
  deploymentEventKey: string | null;
}

export const brokenAttestation: Rule<BrokenAttestationEvidence> = (facts, policy) => {
  const found: Found<BrokenAttestationEvidence>[] = [];
  const production = policy.environments.production;
  for (const d of branchDeployments(facts)) {
    if (d.environment !== production || d.status !== 'success' || !d.artifact) continue;
    const lineage = d.commit ? facts.lineage.get(d.commit) : undefined;
    const committedAt = (d.commit && facts.commits.find((c) => c.sha === d.commit)?.committedAt) ?? lineage?.commit?.at ?? null;
    const about = new Map<string, Attestation>();
    for (const a of [...(facts.attestationsByDigest.get(d.artifact) ?? []), ...(lineage?.attestations ?? [])]) {
      if (a.subjectDigest === d.artifact) about.set(a.id, a);
    }
    const base = { deployment: d.id, artifact: d.artifact, commit: d.commit, deploymentEventKey: d.eventKey };
    for (const a of about.values()) {
      const made = a.finishedAt ?? a.startedAt;
      if (a.signature === 'failed') {
        found.push({
          message: `the signature of provenance ${a.id} for ${d.artifact.slice(0, 19)} does not verify: ${a.signatureDetail ?? 'no reason given'}`,
          evidence: {
            ...base,
            attestation: a.id,
            problem: 'bad-signature',
            detail: a.signatureDetail ?? 'signature failed verification',
            attestationEventKey: a.eventKey,
          },
        });
      } else if (a.commit && d.commit && a.commit !== d.commit) {
        found.push({
          message: `provenance ${a.id} says ${d.artifact.slice(0, 19)} was built from ${short(a.commit)}, but ${production} deployment ${d.id} names ${short(d.commit)}`,
          evidence: {
            ...base,
            attestation: a.id,
            problem: 'other-commit',
            detail: `provenance names ${a.commit}`,
            attestationEventKey: a.eventKey,
          },
        });
      } else if (made && committedAt && Date.parse(made) < Date.parse(committedAt)) {
        found.push({
          message: `provenance ${a.id} for ${d.artifact.slice(0, 19)} was made at ${made}, before commit ${short(d.commit)} (${committedAt}) it claims to cover`,
          evidence: {
            ...base,
            attestation: a.id,
            problem: 'before-commit',
            detail: `made ${made}, committed ${committedAt}`,
            attestationEventKey: a.eventKey,
          },
        });
      }
    }
    const others = (lineage?.attestations ?? []).filter((a) => a.subjectDigest !== d.artifact);
    if (about.size === 0 && others.length > 0) {
      found.push({
        message: `the provenance of ${short(d.commit)} covers ${[...new Set(others.map((a) => a.subjectDigest.slice(0, 19)))].join(', ')}, not ${d.artifact.slice(0, 19)} that ${production} deployment ${d.id} runs`,
        evidence: {
          ...base,
          attestation: others[0]!.id,
          problem: 'other-subject',
          detail: `provenance is about ${others.map((a) => a.subjectDigest).join(', ')}`,
          attestationEventKey: others[0]!.eventKey,
        },
      });
    }
  }
  return found;
};
