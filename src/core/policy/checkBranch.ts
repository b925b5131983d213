/**
 * `check` as one call: resolve the branch, read its commits from git and their lineage from the
 * source (one batch), find the pull request by the head commit (or the branch name), and
 * evaluate the policy.
 */
import { GitError } from '../git/gitRunner';
import type { Repository } from '../git/repository';
import type { LineageSource } from '../sources/lineageSource';
import type { CommitLineage, PullRequestWithReviews } from '../model/api';
import type { Attestation } from '../model/domain';
import { branchCommits, PullRequestDiffs, resolveRef, touchedLines } from './branchGit';
import type { Policy } from './policy';
import { policyAt, policyChange } from './policySource';
import { deploymentRecords, type DeploymentRecord } from './deploymentRecords';
import { latestReviews, type BranchFacts } from './rules/ruleFacts';
import { evaluate, violationsOf, type Violation } from './rules/ruleTable';

export interface CheckResult {
  /** The policy that judged the branch: the file committed on the base (null: the defaults), that commit, and its change-reference pattern. */
  policy: { file: string | null; commit: string; changeReference: string };
  base: string;
  head: string;
  headSha: string;
  commits: number;
  /** The head adds no commit to the base: there is no change to judge, and no rule ran. */
  nothingToCheck: boolean;
  pullRequest: { number: number; url: string | null; author: string | null; reviews: number } | null;
  /** The latest review of each reviewer, oldest first, with whether git finds it stale. */
  approvals: { reviewer: string; state: string; commit: string | null; at: string | null; stale: boolean }[];
  violations: Violation[];
  /** Deployments of the branch's commits, rollbacks folded into what they rolled back. */
  deployments: DeploymentRecord[];
}

/**
 * Evaluates the branch against the policy committed on its base (see policySource); `policy`
 * replaces it only where a caller holds one from elsewhere (tests of single rules).
 */
export async function checkBranch(options: {
  repo: Repository;
  source: LineageSource | null;
  slug: string | null;
  base: string;
  head: string;
  policy?: Policy;
  branchName?: string | null;
  now?: number;
}): Promise<CheckResult> {
  const { repo, source, slug } = options;
  const [baseSha, headSha] = await Promise.all([resolveRef(repo, options.base), resolveRef(repo, options.head)]);
  const committed = options.policy ? { policy: options.policy, file: null, commit: baseSha } : await policyAt(repo, baseSha);
  const policy = committed.policy;
  const mergeBase = (await repo.run(['merge-base', '--end-of-options', baseSha, headSha]).catch(() => '')).trim();
  // A shallow clone without the common ancestor lists the branch down to the cut, commits already
  // on the base among them: a gate must not judge that.
  const cut = repo.shallowCommits();
  if (!mergeBase && cut.size > 0)
    throw new GitError(
      'failed',
      `${options.base} and ${options.head} have no common history in this clone, which is shallow (its history stops at ${[...cut].map((c) => c.slice(0, 7)).join(', ')}): fetch the whole history ("git fetch --unshallow", or fetch-depth: 0 in actions/checkout) and check again`,
    );
  const forkPoint = mergeBase || baseSha;
  const changed = await policyChange(repo, forkPoint, headSha);
  const commits = await branchCommits(repo, baseSha, headSha);
  if (commits.length === 0) {
    return {
      policy: { file: committed.file, commit: committed.commit, changeReference: policy.rules['missing-change-reference'].pattern },
      base: options.base,
      head: options.head,
      headSha,
      commits: 0,
      nothingToCheck: true,
      pullRequest: null,
      approvals: [],
      violations: [],
      deployments: [],
    };
  }
  let lineage = new Map<string, CommitLineage>();
  if (source && slug) lineage = await source.lineage(slug, [...new Set([headSha, ...commits.map((c) => c.sha)])]);
  const pullRequest = findPullRequest(lineage.get(headSha)?.pullRequests ?? [], headSha, options.branchName ?? null);
  // The merge commit's deployments belong to this change too.
  if (source && slug && pullRequest?.mergeCommit && !lineage.has(pullRequest.mergeCommit)) {
    for (const [sha, l] of await source.lineage(slug, [pullRequest.mergeCommit])) lineage.set(sha, l);
  }
  // Sources that leave checks out of the batch (GitHub) are asked for the head commit's own.
  const head = lineage.get(headSha);
  if (source?.builds && slug && head && head.builds.length === 0) head.builds = await source.builds(slug, headSha);
  // Provenance by the digests deployed, from sources that keep it (an attestation can name another commit).
  const deployedDigests = [
    ...new Set([...lineage.values()].flatMap((l) => l.deployments.map((d) => d.artifact)).filter((a): a is string => !!a)),
  ];
  const attestationsByDigest = new Map<string, Attestation[]>();
  if (source?.attestations && slug) {
    const attestations = source.attestations.bind(source);
    const answers = await Promise.all(deployedDigests.map(async (digest) => [digest, await attestations(slug, digest)] as const));
    for (const [digest, list] of answers) attestationsByDigest.set(digest, list);
  }
  const facts: BranchFacts = {
    base: options.base,
    head: options.head,
    headSha,
    commits,
    pullRequest,
    lineage,
    attestationsByDigest,
    policy: { file: committed.file, baseCommit: baseSha, changed },
    now: options.now ?? Date.now(),
  };
  const violations = await evaluate(facts, policy, {
    diffs: new PullRequestDiffs(repo, baseSha),
    touched: (c) => touchedLines(repo, c),
    hasCommit: (sha) => repo.hasCommit(sha),
  });
  // The environments' histories say what each rollback undid.
  const branchDeployments = [...lineage.values()].flatMap((l) => l.deployments);
  const environments = [...new Set(branchDeployments.map((d) => d.environment))];
  const histories = source && slug ? (await Promise.all(environments.map((e) => source.history(slug, e, 200)))).flat() : [];
  const stale = new Set(violationsOf(violations, 'stale-approval').map((v) => v.evidence.reviewer));
  return {
    policy: { file: committed.file, commit: committed.commit, changeReference: policy.rules['missing-change-reference'].pattern },
    base: options.base,
    head: options.head,
    headSha,
    commits: commits.length,
    nothingToCheck: false,
    pullRequest: pullRequest
      ? { number: pullRequest.number, url: pullRequest.url, author: pullRequest.author, reviews: pullRequest.reviews.length }
      : null,
    approvals: latestReviews(pullRequest?.reviews ?? []).map((r) => ({
      reviewer: r.reviewer,
      state: r.state,
      commit: r.commit,
      at: r.at,
      stale: stale.has(r.reviewer),
    })),
    violations,
    deployments: deploymentRecords(branchDeployments, histories),
  };
}

/** The pull request whose head is this commit, else one from this branch, else any containing it. */
function findPullRequest(prs: PullRequestWithReviews[], headSha: string, branch: string | null): PullRequestWithReviews | null {
  return (
    prs.find((p) => p.headSha === headSha) ??
    (branch ? prs.find((p) => p.headRef === branch) : undefined) ??
    prs.find((p) => p.state === 'open') ??
    prs[0] ??
    null
  );
}
