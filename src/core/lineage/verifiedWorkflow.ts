import type { Deployment } from '../model/domain';

export interface VerifiedWorkflow {
  workflow: string;
  ref: string | null;
  actor: string | null;
}

/**
 * The workflow a CI job's verified OIDC token says sent the deployment (GitHub's job workflow,
 * else the workflow, else the token's subject for other issuers), or null without one.
 */
export function verifiedWorkflowOf(d: Deployment | null | undefined): VerifiedWorkflow | null {
  const claims = d?.verifiedBy;
  const workflow = claims?.job_workflow_ref ?? claims?.workflow_ref ?? claims?.subject;
  return workflow ? { workflow, ref: claims?.ref ?? null, actor: claims?.actor ?? null } : null;
}
