/** Branch facts for the approval rules' unit tests: small builders with every field a rule reads. */
import type { BranchCommit } from '../../src/core/policy/branchGit';
import { defaultPolicy, type Policy } from '../../src/core/policy/policy';
import type { BranchFacts, RuleContext } from '../../src/core/policy/rules/ruleFacts';
import type { CommitLineage, PullRequestWithReviews } from '../../src/core/model/api';
import type { Attestation, Build, Deployment, Review } from '../../src/core/model/domain';

export const sha = (c: string): string => c.repeat(40).slice(0, 40);
export const digest = (c: string): string => `sha256:${c.repeat(64).slice(0, 64)}`;

export function commit(id: string, over: Partial<BranchCommit> = {}): BranchCommit {
  return {
    sha: sha(id),
    parents: [sha('0')],
    author: 'Dev',
    authorEmail: 'dev@example.com',
    committedAt: '2026-03-01T10:00:00Z',
    signature: 'N',
    subject: `change ${id}`,
    message: `change ${id}`,
    ...over,
  };
}

export function review(reviewer: string, on: string | null, over: Partial<Review> = {}): Review {
  return {
    id: `r-${reviewer}`,
    pullRequest: 7,
    reviewer,
    state: 'approved',
    commit: on,
    at: '2026-03-01T11:00:00Z',
    eventKey: `ev-review-${reviewer}`,
    ...over,
  };
}

export function pullRequest(reviews: Review[], over: Partial<PullRequestWithReviews> = {}): PullRequestWithReviews {
  return {
    repo: 'acme/app',
    number: 7,
    title: 'Change',
    url: 'https://example.com/pr/7',
    author: 'dev',
    state: 'open',
    headSha: null,
    headRef: 'feature',
    baseRef: 'main',
    mergeCommit: null,
    mergedAt: null,
    updatedAt: null,
    commits: [],
    eventKey: 'ev-pr-7',
    reviews,
    ...over,
  };
}

export function deployment(id: string, over: Partial<Deployment> = {}): Deployment {
  return {
    id,
    repo: 'acme/app',
    environment: 'production',
    service: null,
    commit: null,
    artifact: null,
    at: '2026-03-02T10:00:00Z',
    actor: 'ops',
    kind: 'deploy',
    status: 'success',
    reason: null,
    url: null,
    approvals: [],
    eventKey: `ev-${id}`,
    ...over,
  };
}

export function build(name: string, over: Partial<Build> = {}): Build {
  return {
    id: `b-${name}`,
    repo: 'acme/app',
    kind: 'check',
    name,
    commit: null,
    status: 'completed',
    conclusion: 'success',
    url: null,
    startedAt: '2026-03-01T10:00:00Z',
    finishedAt: '2026-03-01T10:05:00Z',
    eventKey: `ev-build-${name}`,
    ...over,
  };
}

export function attestation(id: string, subject: string, over: Partial<Attestation> = {}): Attestation {
  return {
    id,
    subjectDigest: subject,
    subjectName: null,
    predicateType: 'https://slsa.dev/provenance/v1',
    repo: 'acme/app',
    commit: null,
    sourceUri: null,
    builder: null,
    buildType: null,
    invocation: null,
    signed: false,
    signature: 'unsigned',
    signatureDetail: null,
    signer: null,
    startedAt: null,
    finishedAt: null,
    eventKey: `ev-${id}`,
    ...over,
  };
}

export function lineageOf(commitSha: string, over: Partial<CommitLineage> = {}): CommitLineage {
  return { sha: commitSha, commit: null, pullRequests: [], builds: [], artifacts: [], attestations: [], deployments: [], ...over };
}

export function facts(over: Partial<BranchFacts> = {}): BranchFacts {
  const commits = over.commits ?? [commit('a')];
  return {
    base: 'main',
    head: 'HEAD',
    headSha: commits.at(-1)!.sha,
    commits,
    pullRequest: null,
    lineage: new Map(),
    attestationsByDigest: new Map(),
    policy: { file: null, baseCommit: sha('9'), changed: null },
    now: Date.parse('2026-03-03T00:00:00Z'),
    ...over,
  };
}

/**
 * Git's answers without git: each commit's patch id is its own unless `samePatch` maps it to
 * another's (a rebase that changed nothing); commits in `missing` are not in the clone.
 */
export function context(
  options: { samePatch?: Record<string, string>; missing?: string[]; touched?: Record<string, string[]> } = {},
): RuleContext {
  return {
    diffs: { patchId: async (c: string) => `patch-${options.samePatch?.[c] ?? c}` },
    touched: async (c) => options.touched?.[c.sha] ?? [],
    hasCommit: async (c) => !(options.missing ?? []).includes(c),
  };
}

export function policy(edit: (p: Policy) => void = () => undefined): Policy {
  const p = defaultPolicy();
  edit(p);
  return p;
}
