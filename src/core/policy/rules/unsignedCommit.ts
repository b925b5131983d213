/**
 * unsigned-commit: when the policy requires signatures, every commit git does not call good (G).
 * A valid signature by a key the user does not trust (U: an SSH key missing from the allowed
 * signers, a GPG key without trust) fails too: anyone can make a key and sign with it.
 */
import { signatureMeaning } from '../../git/signatures';
import { short, type Rule } from './ruleFacts';

export interface UnsignedCommitEvidence {
  commit: string;
  author: string;
  /** git's %G? letter: N unsigned, U untrusted key, B bad, E cannot be checked, R revoked, X/Y expired. */
  signature: string;
}

export const unsignedCommit: Rule<UnsignedCommitEvidence> = (facts, policy) => {
  if (!policy.rules['unsigned-commit'].required) return [];
  return facts.commits
    .filter((c) => c.signature !== 'G')
    .map((c) => ({
      message: `${short(c.sha)} "${c.subject}": ${signatureMeaning[c.signature] ?? `signature status ${c.signature}`}`,
      evidence: { commit: c.sha, author: c.authorEmail, signature: c.signature },
    }));
};
