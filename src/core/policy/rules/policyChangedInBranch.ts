/** policy-changed-in-branch: the branch edits the policy; the base's judges it, and the edit applies after merge. */
import type { Rule } from './ruleFacts';

export interface PolicyChangedInBranchEvidence {
  file: string;
  change: string;
  /** The base's policy file that judged the branch; null for the defaults. */
  judgedBy: string | null;
  baseCommit: string;
}

export const policyChangedInBranch: Rule<PolicyChangedInBranchEvidence> = (facts) => {
  const { changed, file, baseCommit } = facts.policy;
  if (!changed) return [];
  return [
    {
      message: `policy changed on this branch (${changed.file} ${changed.change}): applies after merge; this branch is judged by ${file ?? 'the default policy'} on ${facts.base} (${baseCommit.slice(0, 7)})`,
      evidence: { file: changed.file, change: changed.change, judgedBy: file, baseCommit },
    },
  ];
};
