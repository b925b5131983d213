/**
 * The service's own plain JSON events: what a deploy script or a small CI step sends when it has
 * no CDEvents or GitHub integration. Every event carries an `id`; sending the same id again is a
 * no-op, so senders can retry freely.
 */
import { z } from 'zod';
import { CommitSha, Digest, LineNumber, RepoSlug, Timestamp } from './primitives';
import { DeploymentKind, DeploymentStatus, ReviewState, Severity } from './domain';

const base = {
  id: z.string().min(1).max(512),
  repo: RepoSlug.optional(),
};
const opt = <T extends z.ZodType>(t: T) => t.optional();

export const NativeBuild = z.object({
  ...base,
  type: z.literal('build'),
  buildId: z.string().min(1),
  kind: z.enum(['pipeline', 'workflow', 'check', 'test', 'scan']).default('pipeline'),
  name: opt(z.string()),
  commit: opt(CommitSha),
  status: z.enum(['queued', 'in_progress', 'completed']).default('completed'),
  conclusion: opt(z.string()),
  url: opt(z.string()),
  startedAt: opt(Timestamp),
  finishedAt: opt(Timestamp),
  /** The workflow file that ran and the ref it ran on. */
  workflow: opt(z.string().max(1024)),
  ref: opt(z.string().max(1024)),
});

export const NativeArtifact = z.object({
  ...base,
  type: z.literal('artifact'),
  digest: Digest,
  name: opt(z.string()),
  purl: opt(z.string()),
  commit: opt(CommitSha),
  buildId: opt(z.string()),
  createdAt: opt(Timestamp),
});

export const NativeDeployment = z
  .object({
    ...base,
    type: z.literal('deployment'),
    deploymentId: z.string().min(1),
    environment: z.string().min(1).max(256),
    service: opt(z.string()),
    commit: opt(CommitSha),
    artifact: opt(Digest),
    at: Timestamp,
    actor: opt(z.string()),
    actorType: opt(z.enum(['bot', 'person'])),
    /** The deploy tool's order of its deployments (a history id, a counter), comparable within `origin`. */
    sequence: opt(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)),
    /** Which tool's sequence it is (e.g. "argocd:shop", "github"); "native" when not said. */
    origin: opt(z.string().min(1).max(256)),
    kind: DeploymentKind.default('deploy'),
    status: DeploymentStatus.default('success'),
    /** Why a hotfix skipped the usual path (the exemption reason); free text. */
    reason: opt(z.string()),
    url: opt(z.string()),
    /** The CI run that deployed (a GitHub Actions run id): approvals given to that run for this environment are this deployment's. */
    runId: opt(z.string().min(1).max(64)),
    /** Set by the service alone, from the OIDC token it verified; refused from senders. */
    verifiedBy: opt(z.record(z.string(), z.string().max(512).nullable())),
  })
  .refine((d) => d.commit !== undefined || d.artifact !== undefined, {
    error: 'a deployment needs a commit or an artifact digest',
    path: ['commit'],
  });

export const NativeApproval = z
  .object({
    ...base,
    type: z.literal('approval'),
    approvalId: z.string().min(1),
    deploymentId: opt(z.string()),
    environment: opt(z.string()),
    approver: z.string().min(1),
    state: z.enum(['approved', 'rejected', 'pending']).default('approved'),
    comment: opt(z.string()),
    at: opt(Timestamp),
    /** The CI run the approval let deploy to `environment`, when it names a run rather than a deployment. */
    runId: opt(z.string().min(1).max(64)),
  })
  .refine((a) => a.deploymentId !== undefined || a.environment !== undefined, {
    error: 'an approval needs a deploymentId or an environment',
    path: ['deploymentId'],
  });

export const NativePullRequest = z.object({
  ...base,
  repo: RepoSlug,
  type: z.literal('pull_request'),
  number: z.number().int().min(1),
  title: opt(z.string()),
  url: opt(z.string()),
  author: opt(z.string()),
  state: z.enum(['open', 'closed', 'merged']),
  headSha: opt(CommitSha),
  headRef: opt(z.string()),
  baseRef: opt(z.string()),
  mergeCommit: opt(CommitSha),
  mergedAt: opt(Timestamp),
  updatedAt: opt(Timestamp),
  commits: z.array(CommitSha).max(10000).default([]),
});

export const NativeReview = z.object({
  ...base,
  repo: RepoSlug,
  type: z.literal('review'),
  reviewId: z.string().min(1),
  pullRequest: z.number().int().min(1),
  reviewer: z.string().min(1),
  state: ReviewState,
  commit: opt(CommitSha),
  at: opt(Timestamp),
});

export const NativeFindingLocation = z.object({
  path: z.string().min(1).max(4096),
  line: opt(LineNumber),
  endLine: opt(LineNumber),
  column: opt(z.number().int().min(1)),
  revision: opt(CommitSha),
});

export const NativeFinding = z.object({
  ...base,
  type: z.literal('finding'),
  findingId: z.string().min(1),
  kind: z.enum(['error', 'alert', 'vulnerability', 'misconfiguration', 'admission', 'incident']),
  severity: Severity.default('medium'),
  title: z.string().min(1).max(4096),
  status: z.enum(['open', 'resolved', 'suppressed']).default('open'),
  environment: opt(z.string()),
  service: opt(z.string()),
  artifact: opt(Digest),
  commit: opt(CommitSha),
  release: opt(z.string()),
  ruleId: opt(z.string()),
  tool: opt(z.string()),
  url: opt(z.string()),
  detectedAt: opt(Timestamp),
  detail: opt(z.string().max(1_000_000)),
  locations: z.array(NativeFindingLocation).max(10000).default([]),
});

export const NativeCommit = z.object({
  ...base,
  repo: RepoSlug,
  type: z.literal('commit'),
  sha: CommitSha,
  message: opt(z.string()),
  author: opt(z.string()),
  at: opt(Timestamp),
});

export const NativeEvent = z.union([
  NativeBuild,
  NativeArtifact,
  NativeDeployment,
  NativeApproval,
  NativePullRequest,
  NativeReview,
  NativeFinding,
  NativeCommit,
]);
export type NativeEvent = z.infer<typeof NativeEvent>;

export const nativeEventTypes = ['build', 'artifact', 'deployment', 'approval', 'pull_request', 'review', 'finding', 'commit'] as const;

/** Schema of one native event type, so validation errors name the fields of that type only. */
export function nativeSchemaFor(type: string): z.ZodType | undefined {
  switch (type) {
    case 'build':
      return NativeBuild;
    case 'artifact':
      return NativeArtifact;
    case 'deployment':
      return NativeDeployment;
    case 'approval':
      return NativeApproval;
    case 'pull_request':
      return NativePullRequest;
    case 'review':
      return NativeReview;
    case 'finding':
      return NativeFinding;
    case 'commit':
      return NativeCommit;
    default:
      return undefined;
  }
}
