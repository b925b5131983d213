/** stale-attestation: provenance older than the commit it covers, or a deployed artifact without any. */
import { branchDeployments, short, type Found, type Rule } from './ruleFacts';

export type StaleAttestationEvidence =
  | { attestation: string; digest: string; commit: string; generated: string; committedAt: string; attestationEventKey: string | null }
  | { deployment: string; environment: string; artifact: string; deploymentEventKey: string | null };

export const staleAttestation: Rule<StaleAttestationEvidence> = (facts) => {
  const found: Found<StaleAttestationEvidence>[] = [];
  for (const l of facts.lineage.values()) {
    const commitTime = facts.commits.find((c) => c.sha === l.sha)?.committedAt ?? l.commit?.at ?? null;
    for (const att of l.attestations) {
      const generated = att.finishedAt ?? att.startedAt;
      if (commitTime && generated && Date.parse(generated) < Date.parse(commitTime)) {
        found.push({
          message: `provenance ${att.id} for ${att.subjectDigest.slice(0, 19)} was generated at ${generated}, before commit ${short(l.sha)} (${commitTime}) it claims to cover`,
          evidence: {
            attestation: att.id,
            digest: att.subjectDigest,
            commit: l.sha,
            generated,
            committedAt: commitTime,
            attestationEventKey: att.eventKey,
          },
        });
      }
    }
  }
  const attested = new Set([...facts.lineage.values()].flatMap((l) => l.attestations.map((a) => a.subjectDigest)));
  for (const d of branchDeployments(facts)) {
    if (d.artifact && d.status === 'success' && !attested.has(d.artifact)) {
      found.push({
        message: `deployment ${d.id} to ${d.environment} ran artifact ${d.artifact.slice(0, 19)}, which has no provenance`,
        evidence: { deployment: d.id, environment: d.environment, artifact: d.artifact, deploymentEventKey: d.eventKey },
      });
    }
  }
  return found;
};
