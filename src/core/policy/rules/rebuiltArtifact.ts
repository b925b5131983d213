/**
 * rebuilt-artifact: promote, never rebuild. Along the promotion order, each environment must run
 * a digest the environment before it ran for the same commit; a different digest means the
 * commit was built again, and what was validated is not what runs.
 */
import { short, type Found, type Rule } from './ruleFacts';

export interface RebuiltArtifactEvidence {
  commit: string;
  deployment: string;
  /** The environment that runs the rebuilt digest, and the one before it that validated another. */
  environment: string;
  validatedIn: string;
  deployed: string;
  validated: string[];
  deploymentEventKey: string | null;
}

export const rebuiltArtifact: Rule<RebuiltArtifactEvidence> = (facts, policy) => {
  const order = policy.environments.order;
  const found: Found<RebuiltArtifactEvidence>[] = [];
  for (const l of facts.lineage.values()) {
    const ok = l.deployments.filter((d) => d.status === 'success' && d.artifact);
    let previous: { environment: string; digests: Set<string> } | null = null;
    for (const environment of order) {
      const here = ok.filter((d) => d.environment === environment);
      if (here.length === 0) continue;
      if (previous) {
        for (const d of here) {
          if (previous.digests.has(d.artifact!)) continue;
          const validated = [...previous.digests];
          found.push({
            message: `${environment} deployment ${d.id} of ${short(l.sha)} ran ${d.artifact!.slice(0, 19)}, not the digest ${previous.environment} validated (${validated.map((s) => s.slice(0, 19)).join(', ')})`,
            evidence: {
              commit: l.sha,
              deployment: d.id,
              environment,
              validatedIn: previous.environment,
              deployed: d.artifact!,
              validated,
              deploymentEventKey: d.eventKey,
            },
          });
        }
      }
      previous = { environment, digests: new Set(here.map((d) => d.artifact!)) };
    }
  }
  return found;
};
