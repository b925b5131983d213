/** rebuilt-artifact: production runs a different digest than staging validated for the same commit. */
import { short, type Found, type Rule } from './ruleFacts';

export interface RebuiltArtifactEvidence {
  commit: string;
  deployment: string;
  deployed: string;
  validated: string[];
  deploymentEventKey: string | null;
}

export const rebuiltArtifact: Rule<RebuiltArtifactEvidence> = (facts, policy) => {
  const { production, staging } = policy.environments;
  const found: Found<RebuiltArtifactEvidence>[] = [];
  for (const l of facts.lineage.values()) {
    const ok = l.deployments.filter((d) => d.status === 'success' && d.artifact);
    const staged = new Set(ok.filter((d) => d.environment === staging).map((d) => d.artifact!));
    if (staged.size === 0) continue;
    for (const d of ok.filter((x) => x.environment === production)) {
      if (staged.has(d.artifact!)) continue;
      found.push({
        message: `${production} deployment ${d.id} of ${short(l.sha)} ran ${d.artifact!.slice(0, 19)}, not the digest ${staging} validated (${[...staged].map((s) => s.slice(0, 19)).join(', ')})`,
        evidence: { commit: l.sha, deployment: d.id, deployed: d.artifact!, validated: [...staged], deploymentEventKey: d.eventKey },
      });
    }
  }
  return found;
};
