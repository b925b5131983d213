/** unapproved-production-deployment: a successful production deployment (not a rollback) nobody approved. */
import { branchDeployments, type Rule } from './ruleFacts';

export interface UnapprovedProductionDeploymentEvidence {
  deployment: string;
  actor: string | null;
  at: string;
  deploymentEventKey: string | null;
}

export const unapprovedProductionDeployment: Rule<UnapprovedProductionDeploymentEvidence> = (facts, policy) => {
  const production = policy.environments.production;
  return branchDeployments(facts)
    .filter(
      (d) =>
        d.environment === production && d.kind !== 'rollback' && d.status === 'success' && !d.approvals.some((a) => a.state === 'approved'),
    )
    .map((d) => ({
      message: `deployment ${d.id} to ${production} by ${d.actor ?? 'unknown'} has no environment approval`,
      evidence: { deployment: d.id, actor: d.actor, at: d.at, deploymentEventKey: d.eventKey },
    }));
};
