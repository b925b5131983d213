/**
 * Response shapes of the traceability API (docs/openapi.yaml). The service validates what it sends
 * and the client validates what it receives with these same schemas.
 */
import { z } from 'zod';
import { AuditEntry, Checkpoint } from './audit';
import { Artifact, Attestation, Build, Commit, Deployment, Environment, Finding, PullRequest, Review } from './domain';
import { CommitSha, RepoSlug } from './primitives';

export const Health = z.object({
  status: z.literal('ok'),
  version: z.string(),
  store: z.enum(['embedded', 'postgres']),
  events: z.number().int(),
  /** Changes whenever any data changes; clients use it to invalidate caches. */
  dataVersion: z.string(),
});
export type Health = z.infer<typeof Health>;

export const EnvironmentsResponse = z.object({
  repo: RepoSlug,
  environments: z.array(Environment),
  /** Clock skew the deploy tools' own order revealed (a deployment stamped earlier than one it followed). */
  notices: z.array(z.string()).optional(),
});
export type EnvironmentsResponse = z.infer<typeof EnvironmentsResponse>;

export const DeploymentsPage = z.object({
  repo: RepoSlug,
  environment: z.string(),
  deployments: z.array(Deployment),
  /** Opaque cursor for the next (older) page, or null at the end of the history. */
  next: z.string().nullable(),
});
export type DeploymentsPage = z.infer<typeof DeploymentsPage>;

export const LineageRequest = z.object({
  commits: z.array(CommitSha).min(1).max(5000),
});

export const PullRequestWithReviews = PullRequest.extend({ reviews: z.array(Review) });
export type PullRequestWithReviews = z.infer<typeof PullRequestWithReviews>;

export const CommitLineage = z.object({
  sha: CommitSha,
  commit: Commit.nullable(),
  pullRequests: z.array(PullRequestWithReviews),
  builds: z.array(Build),
  artifacts: z.array(Artifact),
  attestations: z.array(Attestation),
  /** Deployments of exactly this commit, newest first. */
  deployments: z.array(Deployment),
});
export type CommitLineage = z.infer<typeof CommitLineage>;

export const LineageResponse = z.object({
  repo: RepoSlug,
  commits: z.array(CommitLineage),
});
export type LineageResponse = z.infer<typeof LineageResponse>;

export const FindingsResponse = z.object({
  findings: z.array(Finding),
});
export type FindingsResponse = z.infer<typeof FindingsResponse>;

export const ArtifactResponse = z.object({
  digest: z.string(),
  artifact: Artifact.nullable(),
  attestations: z.array(Attestation),
  deployments: z.array(Deployment),
  findings: z.array(Finding),
});
export type ArtifactResponse = z.infer<typeof ArtifactResponse>;

export const IngestResult = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  events: z.array(
    z.object({
      key: z.string(),
      format: z.string(),
      status: z.enum(['stored', 'duplicate']),
    }),
  ),
  /** A GitHub event the service does not read: stored as it came, acknowledged, nothing derived from it. */
  ignored: z.literal(true).optional(),
});
export type IngestResult = z.infer<typeof IngestResult>;

export const AuditVerification = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  head: z.string().nullable(),
  brokenAt: z.number().int().nullable(),
  reason: z.string().nullable(),
  /** The latest signed checkpoint within what was verified; null before anything was ingested. */
  checkpoint: Checkpoint.nullable().default(null),
  /** Served rows that differ from what their events yield (at most 20): table, key, what differs. */
  differences: z.array(z.object({ table: z.string(), key: z.string(), what: z.string(), eventKey: z.string().nullable() })).default([]),
});
export type AuditVerification = z.infer<typeof AuditVerification>;

export const StoredEvent = z.object({
  key: z.string(),
  format: z.string(),
  receivedAt: z.string(),
  auditSeq: z.number().int(),
  auditHash: z.string(),
  raw: z.unknown(),
  /** The event exactly as stored and chained (sha256 of it is the entry's event hash). */
  rawText: z.string().optional(),
});

export const AuditEntries = z.object({ entries: z.array(AuditEntry) });

/** The entries recorded in a time window: the first and last sequence number, null when none. */
export const AuditRange = z.object({ from: z.number().int().nullable(), to: z.number().int().nullable(), head: z.number().int() });
export type AuditRange = z.infer<typeof AuditRange>;

/** A chained event as an export holds it: its entry, when it was received, its format and its raw text. */
export const ExportedEvent = z.object({
  seq: z.number().int().min(1),
  key: z.string(),
  format: z.string(),
  receivedAt: z.string(),
  eventHash: z.string(),
  prevHash: z.string(),
  hash: z.string(),
  raw: z.string(),
});
export type ExportedEvent = z.infer<typeof ExportedEvent>;
export const AuditEvents = z.object({ events: z.array(ExportedEvent) });
export type StoredEvent = z.infer<typeof StoredEvent>;

/** RFC 9457 problem details, with the invalid fields listed. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ pointer: z.string(), reason: z.string() })).optional(),
});
export type Problem = z.infer<typeof Problem>;
