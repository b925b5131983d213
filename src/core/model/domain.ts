/**
 * The lineage chain (DESIGN.md): commit → pull request → reviews → build → artifact → attestation
 * → deployment → findings. These are the shapes the service stores and returns, the client
 * validates, and the engine consumes. Types come from the schemas.
 */
import { z } from 'zod';
import { CommitSha, Digest, LineNumber, RepoSlug, Timestamp } from './primitives';

/** Where a fact came from, so every derived link can show its evidence. */
export const Provenance = z.object({
  /** The idempotency key of the ingested event that last set this record. */
  eventKey: z.string(),
});

export const Commit = z.object({
  sha: CommitSha,
  repo: RepoSlug,
  message: z.string().nullable(),
  author: z.string().nullable(),
  at: Timestamp.nullable(),
});
export type Commit = z.infer<typeof Commit>;

export const ReviewState = z.enum(['approved', 'changes_requested', 'commented', 'dismissed', 'pending']);
export type ReviewState = z.infer<typeof ReviewState>;

export const Review = z.object({
  id: z.string(),
  pullRequest: z.number().int(),
  reviewer: z.string(),
  state: ReviewState,
  /** The commit the review was given on: an approval covers the pull request as of this commit. */
  commit: CommitSha.nullable(),
  at: Timestamp.nullable(),
  eventKey: z.string(),
});
export type Review = z.infer<typeof Review>;

export const PullRequestState = z.enum(['open', 'closed', 'merged']);

export const PullRequest = z.object({
  repo: RepoSlug,
  number: z.number().int(),
  title: z.string().nullable(),
  url: z.string().nullable(),
  author: z.string().nullable(),
  state: PullRequestState,
  headSha: CommitSha.nullable(),
  headRef: z.string().nullable(),
  baseRef: z.string().nullable(),
  mergeCommit: CommitSha.nullable(),
  mergedAt: Timestamp.nullable(),
  updatedAt: Timestamp.nullable(),
  commits: z.array(CommitSha),
  eventKey: z.string(),
});
export type PullRequest = z.infer<typeof PullRequest>;

/** A pipeline run, workflow run or check run of one commit. */
export const Build = z.object({
  id: z.string(),
  repo: RepoSlug.nullable(),
  kind: z.enum(['pipeline', 'workflow', 'check', 'test', 'scan']),
  name: z.string().nullable(),
  commit: CommitSha.nullable(),
  status: z.enum(['queued', 'in_progress', 'completed']),
  conclusion: z.string().nullable(),
  url: z.string().nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  /** The workflow file that ran and the ref it ran on, when the source says (GitHub Actions runs). */
  workflow: z.string().nullable().optional(),
  ref: z.string().nullable().optional(),
  eventKey: z.string(),
});
export type Build = z.infer<typeof Build>;

export const Artifact = z.object({
  digest: Digest,
  name: z.string().nullable(),
  purl: z.string().nullable(),
  repo: RepoSlug.nullable(),
  commit: CommitSha.nullable(),
  buildId: z.string().nullable(),
  createdAt: Timestamp.nullable(),
  eventKey: z.string(),
});
export type Artifact = z.infer<typeof Artifact>;

/** An in-toto statement with SLSA provenance linking an artifact digest to a source commit. */
export const Attestation = z.object({
  id: z.string(),
  subjectDigest: Digest,
  subjectName: z.string().nullable(),
  predicateType: z.string(),
  repo: RepoSlug.nullable(),
  commit: CommitSha.nullable(),
  sourceUri: z.string().nullable(),
  builder: z.string().nullable(),
  buildType: z.string().nullable(),
  invocation: z.string().nullable(),
  /** Carried signatures (DSSE or a Sigstore bundle). */
  signed: z.boolean(),
  /**
   * The signature's verdict under the trust the service was given: verified (and by whom), failed
   * (a bad signature, an untrusted key or CA, a certificate issued to another repository or
   * commit), unverified (no trust configured), or unsigned.
   */
  signature: z.enum(['verified', 'failed', 'unverified', 'unsigned']).default('unsigned'),
  signatureDetail: z.string().nullable().default(null),
  signer: z.string().nullable().default(null),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  eventKey: z.string(),
});
export type Attestation = z.infer<typeof Attestation>;

export const DeploymentKind = z.enum(['deploy', 'rollback', 'hotfix']);
export type DeploymentKind = z.infer<typeof DeploymentKind>;

export const DeploymentStatus = z.enum(['pending', 'queued', 'in_progress', 'success', 'failure', 'error', 'inactive']);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

export const Approval = z.object({
  id: z.string(),
  /** What was approved: a deployment (environment gate) or an environment as a whole. */
  deploymentId: z.string().nullable(),
  environment: z.string().nullable(),
  approver: z.string(),
  state: z.enum(['approved', 'rejected', 'pending']),
  comment: z.string().nullable(),
  at: Timestamp.nullable(),
  /** The CI run the approval was given to (GitHub's environment reviewers approve a run's jobs). */
  runId: z.string().nullable().default(null),
  eventKey: z.string(),
});
export type Approval = z.infer<typeof Approval>;

export const Deployment = z.object({
  id: z.string(),
  repo: RepoSlug.nullable(),
  environment: z.string(),
  service: z.string().nullable(),
  /** The deployed commit; may be derived from the artifact's provenance when the event lacks it. */
  commit: CommitSha.nullable(),
  artifact: Digest.nullable(),
  at: Timestamp,
  actor: z.string().nullable(),
  /** Whether the actor is a bot or a person, as the source says; absent or null when it does not. */
  actorType: z.enum(['bot', 'person']).nullable().optional(),
  /** The deploy tool's order of its deployments (comparable within `origin`), and the time that order implies. */
  sequence: z.number().int().nullable().optional(),
  origin: z.string().nullable().optional(),
  effectiveAt: Timestamp.nullable().optional(),
  kind: DeploymentKind,
  status: DeploymentStatus,
  reason: z.string().nullable(),
  url: z.string().nullable(),
  /** The CI run that performed it (a GitHub Actions run id), when the source says. */
  runId: z.string().nullable().optional(),
  /** The claims of the CI job's OIDC token the service verified, when the deployment came with one. */
  verifiedBy: z.record(z.string(), z.string().nullable()).nullable().optional(),
  approvals: z.array(Approval),
  eventKey: z.string(),
});
export type Deployment = z.infer<typeof Deployment>;

/** What an environment's deploy tool requires before a deployment may proceed (GitHub's protection rules). */
export const EnvironmentProtection = z.object({
  /** Required reviewers: user logins, and teams as `team:<slug>`. */
  reviewers: z.array(z.string()),
  preventSelfReview: z.boolean(),
  waitMinutes: z.number().int().nullable(),
});
export type EnvironmentProtection = z.infer<typeof EnvironmentProtection>;

export const Environment = z.object({
  name: z.string(),
  /** The deployment running there now: the newest successful one. */
  deployment: Deployment.nullable(),
  /** Its protection rules, where the source knows them (GitHub in direct mode). */
  protection: EnvironmentProtection.nullable().optional(),
});
export type Environment = z.infer<typeof Environment>;

export const Severity = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof Severity>;

export const FindingLocation = z.object({
  path: z.string(),
  line: LineNumber.nullable(),
  endLine: LineNumber.nullable(),
  column: z.number().int().min(1).nullable(),
  /** The revision the path and line refer to. */
  revision: CommitSha.nullable(),
});
export type FindingLocation = z.infer<typeof FindingLocation>;

/**
 * How a finding is tied to code: by the revision it names (its commit or a location's), by an
 * artifact digest whose build or provenance names the commit, or not at all (orphaned: shown as
 * such, never attached to whatever runs now).
 */
export const FindingLink = z.object({
  how: z.enum(['revision', 'digest', 'none']),
  confidence: z.number().min(0).max(1),
});
export type FindingLink = z.infer<typeof FindingLink>;

export const Finding = z.object({
  id: z.string(),
  repo: RepoSlug.nullable(),
  kind: z.enum(['error', 'alert', 'vulnerability', 'misconfiguration', 'admission', 'incident']),
  severity: Severity,
  title: z.string(),
  status: z.enum(['open', 'resolved', 'suppressed']),
  environment: z.string().nullable(),
  service: z.string().nullable(),
  artifact: Digest.nullable(),
  commit: CommitSha.nullable(),
  release: z.string().nullable(),
  ruleId: z.string().nullable(),
  tool: z.string().nullable(),
  url: z.string().nullable(),
  detectedAt: Timestamp.nullable(),
  /** Raw stack or message text, kept for reverse lookup. */
  detail: z.string().nullable(),
  locations: z.array(FindingLocation),
  /** How often it was seen (a runtime error reported again), with the first and last time; absent for findings without sightings. */
  occurrences: z.number().int().optional(),
  firstSeenAt: Timestamp.nullable().optional(),
  lastSeenAt: Timestamp.nullable().optional(),
  eventKey: z.string(),
  /** Set by the service; sources that always name the revision (GitHub's alerts) leave it out. */
  link: FindingLink.optional(),
});
export type Finding = z.infer<typeof Finding>;

/**
 * The link of a finding as stored: a location's revision, else its commit (through its artifact
 * when it names one: the commit then comes from the artifact's build or provenance), else none.
 */
export function findingLink(f: { commit: string | null; artifact: string | null; locations: { revision: string | null }[] }): FindingLink {
  if (f.locations.some((l) => l.revision) || (f.commit && !f.artifact)) return { how: 'revision', confidence: 1 };
  if (f.commit && f.artifact) return { how: 'digest', confidence: 0.9 };
  return { how: 'none', confidence: 0 };
}
