/** missing-change-reference: a commit (not a merge) whose message has no ticket or conventional type. */
import { linearPattern } from '../linearPattern';
import { short, type Rule } from './ruleFacts';

export interface MissingChangeReferenceEvidence {
  commit: string;
  subject: string;
  pattern: string;
}

export const missingChangeReference: Rule<MissingChangeReferenceEvidence> = (facts, policy) => {
  const pattern = linearPattern(policy.rules['missing-change-reference'].pattern);
  return facts.commits
    .filter((c) => c.parents.length <= 1 && !pattern.test(c.message))
    .map((c) => ({
      message: `${short(c.sha)} "${c.subject}" has no change reference (pattern ${pattern.source})`,
      evidence: { commit: c.sha, subject: c.subject, pattern: pattern.source },
    }));
};
