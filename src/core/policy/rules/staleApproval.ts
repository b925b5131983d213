/** stale-approval: the change differs from what was approved, or the approval is older than the policy allows. */
import { durationMs } from '../policy';
import { approvalsOf, pullRequestRef, short, type PullRequestRef, type Rule } from './ruleFacts';

export type StaleApprovalEvidence =
  /** Approved on a commit whose change is not the head's (or is gone from the clone). */
  | {
      pullRequest: PullRequestRef | null;
      reviewer: string;
      approvedCommit: string;
      head: string;
      reviewEventKey: string | null;
      at: string | null;
    }
  /** Approved longer before the merge than `maxAge` (1h by default) or twice the build, whichever is longer. */
  | {
      pullRequest: PullRequestRef | null;
      reviewer: string;
      at: string;
      mergedAt: string;
      limitMinutes: number;
      reviewEventKey: string | null;
    };

export const staleApproval: Rule<StaleApprovalEvidence> = async (facts, policy, ctx) => {
  const found: { message: string; evidence: StaleApprovalEvidence }[] = [];
  const pr = facts.pullRequest;
  const approvals = approvalsOf(facts);
  const prRef = pullRequestRef(facts);
  const headId = await ctx.diffs.patchId(facts.headSha);
  for (const a of approvals) {
    if (!a.commit) continue;
    const evidence = {
      pullRequest: prRef,
      reviewer: a.reviewer,
      approvedCommit: a.commit,
      head: facts.headSha,
      reviewEventKey: a.eventKey,
      at: a.at,
    };
    if (!(await ctx.hasCommit(a.commit))) {
      found.push({
        message: `${a.reviewer}'s approval was given on ${short(a.commit)}, which is not in this clone (force-pushed away?); it cannot cover ${short(facts.headSha)}`,
        evidence,
      });
    } else if (a.commit !== facts.headSha && (await ctx.diffs.patchId(a.commit)) !== headId) {
      found.push({
        message: `${a.reviewer} approved ${short(a.commit)}, but the change has been modified since (head ${short(facts.headSha)})`,
        evidence,
      });
    }
  }
  // The release audit's time rule: only a merge fixes the moment an approval had to be fresh for.
  const maxAge = policy.rules['stale-approval'].maxAge;
  if (pr?.mergedAt && approvals.length > 0) {
    const builds = facts.lineage.get(facts.headSha)?.builds ?? [];
    const buildMs = Math.max(
      0,
      ...builds.map((b) => (b.startedAt && b.finishedAt ? Date.parse(b.finishedAt) - Date.parse(b.startedAt) : 0)),
    );
    const limit = Math.max(durationMs(maxAge), 2 * buildMs);
    const mergedAt = Date.parse(pr.mergedAt);
    for (const a of approvals) {
      if (a.at && mergedAt - Date.parse(a.at) > limit) {
        found.push({
          message: `${a.reviewer}'s approval (${a.at}) is ${Math.round((mergedAt - Date.parse(a.at)) / 60_000)} minutes older than the merge (${pr.mergedAt}; limit ${Math.round(limit / 60_000)} minutes)`,
          evidence: {
            pullRequest: prRef,
            reviewer: a.reviewer,
            at: a.at,
            mergedAt: pr.mergedAt,
            limitMinutes: Math.round(limit / 60_000),
            reviewEventKey: a.eventKey,
          },
        });
      }
    }
  }
  return found;
};
