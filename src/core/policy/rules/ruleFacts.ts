/**
 * What every approval-chain rule reads: the branch's facts from git and the lineage source, and
 * the few git questions a rule may ask. Each rule is one function over these, returning what it
 * found with evidence of its own type.
 */
import type { CommitLineage, PullRequestWithReviews } from '../../model/api';
import type { Attestation, Deployment, Review } from '../../model/domain';
import type { BranchCommit, PullRequestDiffs } from '../branchGit';
import type { Policy } from '../policy';

export interface BranchFacts {
  base: string;
  head: string;
  headSha: string;
  commits: BranchCommit[];
  pullRequest: PullRequestWithReviews | null;
  /** Lineage of the branch's commits, its head and the pull request's merge commit. */
  lineage: Map<string, CommitLineage>;
  /** Provenance statements by the artifact digest they are about, for each deployed digest (sources that keep them). */
  attestationsByDigest: Map<string, Attestation[]>;
  /** The policy judging the branch: the base's file (null: the defaults), and whether the branch edits it. */
  policy: { file: string | null; baseCommit: string; changed: { file: string; change: 'added' | 'changed' | 'removed' } | null };
  now: number;
}

export interface RuleContext {
  /** Patch ids of commits' pull-request diffs: equal ids, the same change. */
  diffs: Pick<PullRequestDiffs, 'patchId'>;
  /** Lines a commit touched ("path:12-14"). */
  touched(commit: BranchCommit): Promise<string[]>;
  /** Is the commit in this clone? */
  hasCommit(sha: string): Promise<boolean>;
}

/** One thing a rule found: what to tell the user and what an auditor would check. */
export interface Found<E> {
  message: string;
  evidence: E;
}

export type Rule<E> = (facts: BranchFacts, policy: Policy, ctx: RuleContext) => Found<E>[] | Promise<Found<E>[]>;

/** The pull request as evidence names it. */
export interface PullRequestRef {
  number: number;
  url: string | null;
  author: string | null;
  eventKey: string | null;
}

export const short = (sha: string | null | undefined): string => (sha ? sha.slice(0, 7) : 'unknown');

export function pullRequestRef(facts: BranchFacts): PullRequestRef | null {
  const pr = facts.pullRequest;
  return pr ? { number: pr.number, url: pr.url, author: pr.author, eventKey: pr.eventKey } : null;
}

/** The latest review of each reviewer (a later review replaces an earlier one, as on GitHub). */
export function latestReviews(reviews: Review[]): Review[] {
  const byReviewer = new Map<string, Review>();
  for (const r of [...reviews]
    .filter((r) => r.state !== 'commented' && r.state !== 'pending')
    .sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''))) {
    byReviewer.set(r.reviewer, r);
  }
  return [...byReviewer.values()];
}

/** The pull request's standing approvals: each reviewer's latest review, where it approves. */
export function approvalsOf(facts: BranchFacts): Review[] {
  return facts.pullRequest ? latestReviews(facts.pullRequest.reviews).filter((r) => r.state === 'approved') : [];
}

/** Every deployment of the branch's commits and its merge commit, once each. */
export function branchDeployments(facts: BranchFacts): Deployment[] {
  const seen = new Map<string, Deployment>();
  for (const l of facts.lineage.values()) for (const d of l.deployments) if (!seen.has(d.id)) seen.set(d.id, d);
  return [...seen.values()];
}
