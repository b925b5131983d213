/** self-approval: the pull request's author approved it, or a deployer approved their own deployment. */
import { approvalsOf, branchDeployments, pullRequestRef, type Found, type PullRequestRef, type Rule } from './ruleFacts';

export type SelfApprovalEvidence =
  | { pullRequest: PullRequestRef | null; reviewer: string; reviewEventKey: string | null }
  | { deployment: string; environment: string; approver: string; approvalEventKey: string | null };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export const selfApproval: Rule<SelfApprovalEvidence> = (facts) => {
  const found: Found<SelfApprovalEvidence>[] = [];
  const pr = facts.pullRequest;
  if (pr?.author) {
    for (const a of approvalsOf(facts).filter((r) => same(r.reviewer, pr.author!))) {
      found.push({
        message: `${a.reviewer} approved their own pull request #${pr.number}`,
        evidence: { pullRequest: pullRequestRef(facts), reviewer: a.reviewer, reviewEventKey: a.eventKey },
      });
    }
  }
  for (const d of branchDeployments(facts)) {
    for (const a of d.approvals.filter((x) => x.state === 'approved' && d.actor && same(x.approver, d.actor))) {
      found.push({
        message: `${a.approver} approved their own deployment ${d.id} to ${d.environment}`,
        evidence: { deployment: d.id, environment: d.environment, approver: a.approver, approvalEventKey: a.eventKey },
      });
    }
  }
  return found;
};
