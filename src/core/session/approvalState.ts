/** A branch's approval state as the editor shows it, read from `check`'s result with typed evidence. */
import type { CheckResult } from '../policy/checkBranch';
import { violationsOf } from '../policy/rules/ruleTable';

export type ApprovalState =
  | {
      ok: true;
      result: CheckResult;
      /** Commits of the pull request that no approval covers. */
      unapproved: Set<string>;
      /** The newest approval with its commit (a stale one when none stands). */
      lastApproval: { reviewer: string; commit: string } | null;
      policyFile: string | null;
    }
  | { ok: false; reason: string };

export function approvalStateOf(result: CheckResult): ApprovalState {
  const unapproved = new Set<string>();
  for (const v of violationsOf(result.violations, 'unapproved-commits')) {
    // Without a pull request no commit is "after an approval"; the whole branch is unreviewed.
    if ('pullRequest' in v.evidence) for (const c of v.evidence.commits) unapproved.add(c.sha);
  }
  const standing = result.approvals.filter((a) => a.state === 'approved' && a.commit).at(-1);
  const stale = violationsOf(result.violations, 'stale-approval')
    .map((v) => v.evidence)
    .find((e) => 'approvedCommit' in e);
  const lastApproval = standing
    ? { reviewer: standing.reviewer, commit: standing.commit! }
    : stale && 'approvedCommit' in stale
      ? { reviewer: stale.reviewer, commit: stale.approvedCommit }
      : null;
  return { ok: true, result, unapproved: result.pullRequest ? unapproved : new Set(), lastApproval, policyFile: result.policy.file };
}
