/**
 * Which policy judges a branch: the one committed on the base it merges into, never the branch's
 * own. In CI the working tree is the pull request's head, so a policy read from it would let a
 * branch switch off its own gate. A branch that changes the policy is told so; its policy applies
 * once merged.
 */
import { checkRevision } from '../git/gitRunner';
import type { Repository } from '../git/repository';
import { defaultPolicy, parsePolicy, PolicyError, type Policy } from './policy';

export const policyFiles = ['.lineage/policy.yaml', '.lineage/policy.yml', '.lineage/policy.json'] as const;

export interface CommittedPolicy {
  policy: Policy;
  /** The file it came from, or null for the defaults. */
  file: string | null;
  /** The commit it was read at. */
  commit: string;
}

/** The first policy file committed at `commit`, with its text; null when there is none. */
async function policyText(repo: Repository, commit: string): Promise<{ file: string; text: string } | null> {
  const rev = checkRevision(commit);
  for (const file of policyFiles) {
    const text = await repo.run(['cat-file', 'blob', `${rev}:${file}`]).catch(() => null);
    if (text !== null) return { file, text };
  }
  return null;
}

/** The policy committed at `commit` (the defaults without a file); PolicyError when malformed. */
export async function policyAt(repo: Repository, commit: string): Promise<CommittedPolicy> {
  const found = await policyText(repo, commit);
  if (!found) return { policy: defaultPolicy(), file: null, commit };
  try {
    return { policy: parsePolicy(found.text, found.file), file: found.file, commit };
  } catch (e) {
    if (e instanceof PolicyError) throw new PolicyError(`${e.message} (the policy committed at ${commit.slice(0, 7)})`);
    throw e;
  }
}

/**
 * How the branch changes the policy: compared with where it forked from the base (a policy that
 * changed on the base since is not the branch's doing). Null when it leaves it alone.
 */
export async function policyChange(
  repo: Repository,
  mergeBase: string,
  head: string,
): Promise<{ file: string; change: 'added' | 'changed' | 'removed' } | null> {
  const [before, after] = await Promise.all([policyText(repo, mergeBase), policyText(repo, head)]);
  if (before?.file === after?.file && before?.text === after?.text) return null;
  if (!before) return { file: after!.file, change: 'added' };
  if (!after) return { file: before.file, change: 'removed' };
  return { file: after.file, change: 'changed' };
}
