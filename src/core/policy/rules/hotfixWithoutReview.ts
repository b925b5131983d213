/**
 * hotfix-without-review: a hotfix reached an environment before anyone approved its change.
 * Accepted only when the deployment records a reason and an approval came after the fact (an
 * approving review of its pull request after the deployment, or an approval of the deployment).
 */
import { branchDeployments, latestReviews, type Rule } from './ruleFacts';

export interface HotfixWithoutReviewEvidence {
  deployment: string;
  environment: string;
  commit: string | null;
  actor: string | null;
  at: string;
  reason: string | null;
  /** Who approved after the deployment, if anyone (a reviewer, or the deployment's approver). */
  approvedAfter: string | null;
  deploymentEventKey: string | null;
}

export const hotfixWithoutReview: Rule<HotfixWithoutReviewEvidence> = (facts) =>
  branchDeployments(facts)
    .filter((d) => d.kind === 'hotfix' && d.status === 'success')
    .flatMap((d) => {
      const deployedAt = Date.parse(d.at);
      const approvals = (d.commit ? (facts.lineage.get(d.commit)?.pullRequests ?? []) : [])
        .flatMap((pr) => latestReviews(pr.reviews))
        .filter((r) => r.state === 'approved' && covers(facts.commits, r.commit, d.commit));
      // A review without a time is taken as given before: the deployment is not held against it.
      if (approvals.some((r) => !r.at || Date.parse(r.at) <= deployedAt)) return [];
      const after =
        approvals.find((r) => r.at && Date.parse(r.at) > deployedAt)?.reviewer ??
        d.approvals.find((a) => a.state === 'approved')?.approver ??
        null;
      if (d.reason?.trim() && after) return [];
      return [
        {
          message: `hotfix ${d.id} reached ${d.environment} without review${d.reason?.trim() ? '' : ', with no reason recorded'}${after ? '' : ', and nobody has approved it since'}`,
          evidence: {
            deployment: d.id,
            environment: d.environment,
            commit: d.commit,
            actor: d.actor,
            at: d.at,
            reason: d.reason,
            approvedAfter: after,
            deploymentEventKey: d.eventKey,
          },
        },
      ];
    });

/**
 * Whether an approval given on `approved` covers `deployed`: on the branch, only an approval of
 * that commit or a later one saw its change. Outside the branch's commits (a merge commit, a
 * review without its commit) the order is unknown, and the approval is not held against it.
 */
function covers(commits: { sha: string }[], approved: string | null, deployed: string | null): boolean {
  const at = (sha: string | null) => (sha ? commits.findIndex((c) => c.sha === sha) : -1);
  const a = at(approved);
  const d = at(deployed);
  return a < 0 || d < 0 || a >= d;
}
