/** hotfix-without-reason: a hotfix deployment that records no exemption reason. */
import { branchDeployments, type Rule } from './ruleFacts';

export interface HotfixWithoutReasonEvidence {
  deployment: string;
  environment: string;
  actor: string | null;
  deploymentEventKey: string | null;
}

export const hotfixWithoutReason: Rule<HotfixWithoutReasonEvidence> = (facts) =>
  branchDeployments(facts)
    .filter((d) => d.kind === 'hotfix' && !d.reason?.trim())
    .map((d) => ({
      message: `hotfix deployment ${d.id} to ${d.environment} gives no exemption reason`,
      evidence: { deployment: d.id, environment: d.environment, actor: d.actor, deploymentEventKey: d.eventKey },
    }));
