/** unapproved-commits: commits after the last approval that change the pull request's diff. */
import { approvalsOf, pullRequestRef, short, type PullRequestRef, type Rule } from './ruleFacts';

export interface UnapprovedCommit {
  sha: string;
  subject: string;
  /** Lines it touched ("path:12-14"); none listed for merge commits. */
  lines: string[];
}

export type UnapprovedCommitsEvidence =
  /** No pull request at all: every commit of the branch, by id. */
  { head: string; commits: string[] } | { pullRequest: PullRequestRef | null; commits: UnapprovedCommit[] };

export const unapprovedCommits: Rule<UnapprovedCommitsEvidence> = async (facts, _policy, ctx) => {
  const pr = facts.pullRequest;
  if (!pr) {
    return [
      {
        message: `no pull request found for ${facts.head} (${short(facts.headSha)}): none of the branch's ${facts.commits.length} commits has been reviewed`,
        evidence: { head: facts.headSha, commits: facts.commits.map((c) => c.sha) },
      },
    ];
  }
  // The last commit whose pull-request diff some approval saw: by patch id, so an approval still
  // covers the branch after a rebase onto an unchanged base or a merge of the base.
  const approvedIds = new Set<string>();
  for (const a of approvalsOf(facts)) if (a.commit && (await ctx.hasCommit(a.commit))) approvedIds.add(await ctx.diffs.patchId(a.commit));
  let lastIndex = -1;
  for (let i = 0; i < facts.commits.length; i++) if (approvedIds.has(await ctx.diffs.patchId(facts.commits[i]!.sha))) lastIndex = i;
  let previous = lastIndex >= 0 ? await ctx.diffs.patchId(facts.commits[lastIndex]!.sha) : 'empty';
  const unapproved: UnapprovedCommit[] = [];
  for (const c of facts.commits.slice(lastIndex + 1)) {
    const id = await ctx.diffs.patchId(c.sha);
    if (id !== previous) unapproved.push({ sha: c.sha, subject: c.subject, lines: c.parents.length > 1 ? [] : await ctx.touched(c) });
    previous = id;
  }
  if (unapproved.length === 0) return [];
  const since = lastIndex >= 0 ? `after the last approval (${short(facts.commits[lastIndex]!.sha)})` : 'with no approval at all';
  return [
    {
      message: `${unapproved.length} commit${unapproved.length === 1 ? '' : 's'} changed pull request #${pr.number} ${since}: ${unapproved.map((u) => short(u.sha)).join(', ')}`,
      evidence: { pullRequest: pullRequestRef(facts), commits: unapproved },
    },
  ];
};
