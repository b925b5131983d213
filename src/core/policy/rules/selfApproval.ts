/** self-approval: the pull request's author approved it. */
import { approvalsOf, pullRequestRef, type PullRequestRef, type Rule } from './ruleFacts';

export interface SelfApprovalEvidence {
  pullRequest: PullRequestRef | null;
  reviewer: string;
  reviewEventKey: string | null;
}

export const selfApproval: Rule<SelfApprovalEvidence> = (facts) => {
  const pr = facts.pullRequest;
  if (!pr?.author) return [];
  return approvalsOf(facts)
    .filter((a) => a.reviewer.toLowerCase() === pr.author!.toLowerCase())
    .map((a) => ({
      message: `${a.reviewer} approved their own pull request #${pr.number}`,
      evidence: { pullRequest: pullRequestRef(facts), reviewer: a.reviewer, reviewEventKey: a.eventKey },
    }));
};
