/**
 * GitLab's REST and GraphQL answers as the model's deployments, merge requests (as pull requests),
 * approvals, builds and findings, under the row ids GitLab's webhooks give them (gitlabIds), so
 * direct mode, `lineage sync gitlab` and the webhooks describe one thing by one id.
 */
import { z } from 'zod';
import { gitlabBuildState, gitlabDeploymentStatuses, gitlabIds } from '../../ingest/gitlab';
import type { PullRequestWithReviews } from '../../model/api';
import type { Approval, Build, Deployment, EnvironmentProtection, Finding, Review } from '../../model/domain';

const fullSha = /^[0-9a-f]{40}$/;
const shaOrNull = (s: string | null | undefined) => (s && fullSha.test(s) ? s : null);

const User = z.object({ username: z.string() }).loose().nullable().optional();

export const RestEnvironment = z.object({ id: z.number(), name: z.string(), state: z.string().optional() }).loose();

export const RestDeployment = z
  .object({
    id: z.number(),
    iid: z.number().optional(),
    ref: z.string().nullable().optional(),
    sha: z.string(),
    created_at: z.string(),
    updated_at: z.string().nullable().optional(),
    finished_at: z.string().nullable().optional(),
    status: z.string(),
    user: User,
    environment: z.object({ name: z.string(), external_url: z.string().nullable().optional() }).loose(),
    deployable: z.object({ id: z.number(), web_url: z.string().nullable().optional() }).loose().nullable().optional(),
    approvals: z
      .array(
        z
          .object({
            user: User,
            status: z.string(),
            created_at: z.string().nullable().optional(),
            comment: z.string().nullable().optional(),
          })
          .loose(),
      )
      .optional(),
  })
  .loose();
export type RestDeployment = z.infer<typeof RestDeployment>;

export const RestProtectedEnvironment = z
  .object({
    name: z.string(),
    required_approval_count: z.number().nullable().optional(),
    approval_rules: z
      .array(
        z
          .object({
            user_id: z.number().nullable().optional(),
            group_id: z.number().nullable().optional(),
            access_level_description: z.string().nullable().optional(),
            required_approvals: z.number().nullable().optional(),
          })
          .loose(),
      )
      .optional(),
  })
  .loose();

export const RestMergeRequest = z
  .object({
    iid: z.number(),
    title: z.string().nullable().optional(),
    state: z.string(),
    web_url: z.string().nullable().optional(),
    author: User,
    sha: z.string().nullable().optional(),
    merge_commit_sha: z.string().nullable().optional(),
    squash_commit_sha: z.string().nullable().optional(),
    source_branch: z.string().nullable().optional(),
    target_branch: z.string().nullable().optional(),
    merged_at: z.string().nullable().optional(),
    updated_at: z.string().nullable().optional(),
  })
  .loose();
export type RestMergeRequest = z.infer<typeof RestMergeRequest>;

export const RestNote = z.object({ id: z.number(), body: z.string(), author: User, created_at: z.string(), system: z.boolean() }).loose();
export type RestNote = z.infer<typeof RestNote>;

export const RestVersion = z.object({ id: z.number(), head_commit_sha: z.string(), created_at: z.string() }).loose();
export type RestVersion = z.infer<typeof RestVersion>;

export const RestCommitStatus = z
  .object({
    id: z.number(),
    name: z.string().nullable().optional(),
    status: z.string(),
    sha: z.string().optional(),
    ref: z.string().nullable().optional(),
    target_url: z.string().nullable().optional(),
    created_at: z.string().nullable().optional(),
    started_at: z.string().nullable().optional(),
    finished_at: z.string().nullable().optional(),
    allow_failure: z.boolean().optional(),
  })
  .loose();

export const RestPipeline = z
  .object({
    id: z.number(),
    sha: z.string(),
    ref: z.string().nullable().optional(),
    status: z.string(),
    web_url: z.string().nullable().optional(),
    created_at: z.string().nullable().optional(),
    updated_at: z.string().nullable().optional(),
  })
  .loose();

/** GitLab's deployment statuses as the model's, as webhooks read them. */
export function gitlabDeploymentStatus(status: string): Deployment['status'] {
  return gitlabDeploymentStatuses[status]?.[0] ?? 'pending';
}

export function toGitlabDeployment(repo: string, d: RestDeployment): Deployment {
  const id = gitlabIds.deployment(repo, d.id);
  return {
    id,
    repo,
    environment: d.environment.name,
    service: null,
    commit: shaOrNull(d.sha),
    artifact: null,
    // When its status last changed, as the Deployment Hook's status_changed_at says.
    at: d.finished_at ?? d.updated_at ?? d.created_at,
    actor: d.user?.username ?? null,
    actorType: null,
    // GitLab numbers deployments in the order they were created: a re-deploy of an older one (its rollback) gets a new, higher id.
    sequence: d.id,
    origin: 'gitlab',
    kind: 'deploy',
    status: gitlabDeploymentStatus(d.status),
    reason: null,
    url: d.deployable?.web_url ?? d.environment.external_url ?? null,
    runId: null,
    approvals: (d.approvals ?? [])
      .filter((a) => a.user?.username)
      .map((a): Approval => ({
        id: `${id}:approval:${a.user!.username}`,
        deploymentId: id,
        environment: d.environment.name,
        approver: a.user!.username,
        state: a.status === 'rejected' ? 'rejected' : a.status === 'approved' ? 'approved' : 'pending',
        comment: a.comment ?? null,
        at: a.created_at ?? null,
        runId: null,
        eventKey: `gitlab:deployment:${d.id}:approvals`,
      })),
    eventKey: `gitlab:deployment:${d.id}`,
  };
}

/** A protected environment's approval rules as the lineage shows them, or null when nothing gates it. */
export function toGitlabProtection(p: z.infer<typeof RestProtectedEnvironment>): EnvironmentProtection | null {
  const rules = p.approval_rules ?? [];
  const reviewers = rules.map((r) => r.access_level_description ?? (r.user_id ? `user:${r.user_id}` : `group:${r.group_id ?? '?'}`));
  if (!reviewers.length && !p.required_approval_count) return null;
  return { reviewers, preventSelfReview: false, waitMinutes: null };
}

/** The review a system note records: GitLab writes one for each approval, its withdrawal and a request for changes. */
export function noteReviewState(body: string): Review['state'] | null {
  const text = body.trim().toLowerCase();
  if (text === 'approved this merge request') return 'approved';
  if (text === 'unapproved this merge request' || text === 'removed approval') return 'dismissed';
  if (text === 'requested changes') return 'changes_requested';
  return null;
}

/**
 * Each reviewer's latest decision on a merge request, from its system notes, on the head the
 * merge request had then: the newest diff version created at or before the note. That head is what
 * the approval covers, as the Merge Request Hook's `last_commit` does at an approval.
 */
export function mergeRequestReviews(repo: string, iid: number, notes: RestNote[], versions: RestVersion[], head: string | null): Review[] {
  const byReviewer = new Map<string, Review>();
  const ordered = [...versions].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
  for (const note of [...notes].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id)) {
    const state = note.system ? noteReviewState(note.body) : null;
    const reviewer = note.author?.username;
    if (!state || !reviewer) continue;
    let covered: string | null = null;
    for (const v of ordered) if (v.created_at <= note.created_at) covered = v.head_commit_sha;
    byReviewer.set(reviewer, {
      id: gitlabIds.approval(repo, iid, reviewer),
      pullRequest: iid,
      reviewer,
      state,
      commit: shaOrNull(covered ?? (ordered.length ? null : head)),
      at: note.created_at,
      eventKey: `gitlab:merge_request:${iid}:note:${note.id}`,
    });
  }
  return [...byReviewer.values()];
}

export function toGitlabPullRequest(repo: string, mr: RestMergeRequest, reviews: Review[], commit?: string): PullRequestWithReviews {
  const state = mr.state === 'merged' ? 'merged' : mr.state === 'opened' || mr.state === 'locked' ? 'open' : 'closed';
  const mergeCommit = state === 'merged' ? (shaOrNull(mr.merge_commit_sha) ?? shaOrNull(mr.squash_commit_sha)) : null;
  const head = shaOrNull(mr.sha);
  return {
    repo,
    number: mr.iid,
    title: mr.title ?? null,
    url: mr.web_url ?? null,
    author: mr.author?.username ?? null,
    state,
    headSha: head,
    headRef: mr.source_branch ?? null,
    baseRef: mr.target_branch ?? null,
    mergeCommit,
    mergedAt: state === 'merged' ? (mr.merged_at ?? mr.updated_at ?? null) : null,
    updatedAt: mr.updated_at ?? null,
    commits: [...new Set([head, mergeCommit, shaOrNull(mr.squash_commit_sha), shaOrNull(commit)].filter((c): c is string => !!c))],
    eventKey: `gitlab:merge_request:${mr.iid}`,
    reviews,
  };
}

/** A commit status (a job of a pipeline, or an external CI's status) as a check, under the Job Hook's id. */
export function statusBuild(repo: string, commit: string, s: z.infer<typeof RestCommitStatus>): Build {
  const { state: status, conclusion } = gitlabBuildState(s.status);
  return {
    id: gitlabIds.job(repo, s.id),
    repo,
    kind: 'check',
    name: s.name ?? null,
    commit,
    status,
    // A job allowed to fail does not block: its failure is reported, not counted.
    conclusion: conclusion === 'failure' && s.allow_failure ? 'neutral' : conclusion,
    url: s.target_url ?? null,
    startedAt: s.started_at ?? s.created_at ?? null,
    finishedAt: status === 'completed' ? (s.finished_at ?? null) : null,
    ref: s.ref ?? null,
    eventKey: `gitlab:job:${s.id}`,
  };
}

export const GqlVulnerabilities = z.object({
  project: z
    .object({
      vulnerabilities: z
        .object({
          pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
          nodes: z.array(
            z
              .object({
                id: z.string(),
                title: z.string().nullable(),
                severity: z.string().nullable(),
                state: z.string().nullable(),
                reportType: z.string().nullable().optional(),
                detectedAt: z.string().nullable().optional(),
                webUrl: z.string().nullable().optional(),
                scanner: z.object({ name: z.string().nullable() }).nullable().optional(),
                identifiers: z.array(z.object({ externalId: z.string().nullable(), name: z.string().nullable() }).loose()).optional(),
                location: z
                  .object({
                    file: z.string().nullable().optional(),
                    startLine: z.union([z.string(), z.number()]).nullable().optional(),
                    endLine: z.union([z.string(), z.number()]).nullable().optional(),
                    blobPath: z.string().nullable().optional(),
                  })
                  .loose()
                  .nullable()
                  .optional(),
              })
              .loose(),
          ),
        })
        .nullable(),
    })
    .nullable(),
});
type GqlVulnerability = NonNullable<NonNullable<z.infer<typeof GqlVulnerabilities>['project']>['vulnerabilities']>['nodes'][number];

/**
 * Open vulnerabilities with a file, a page per query. GitLab prices a connection by its page size
 * against a complexity limit (250 for a signed-in caller), so the page starts at 25 and is halved
 * when GitLab says the query is too complex (vulnerabilityPage).
 */
export const vulnerabilitiesQuery = `query LineageVulnerabilities($fullPath: ID!, $after: String, $first: Int!) {
  project(fullPath: $fullPath) {
    vulnerabilities(state: [DETECTED, CONFIRMED], first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id title severity state reportType detectedAt webUrl
        scanner { name }
        identifiers { externalId name }
        location {
          ... on VulnerabilityLocationSast { file startLine endLine blobPath }
          ... on VulnerabilityLocationSecretDetection { file startLine endLine blobPath }
          ... on VulnerabilityLocationDependencyScanning { file blobPath }
        }
      }
    }
  }
}`;

const severities: Record<string, Finding['severity']> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  INFO: 'info',
  UNKNOWN: 'info',
};

export const gitlabFindingId = (repo: string, id: string | number) => `gitlab:${repo}:vulnerability:${id}`;

/** A vulnerability as a finding; its blob path names the commit its line refers to. */
export function vulnerabilityFinding(repo: string, v: GqlVulnerability): Finding {
  const number = /(\d+)$/.exec(v.id)?.[1] ?? v.id;
  const revision = shaOrNull(/\/-\/blob\/([0-9a-f]{40})\//.exec(v.location?.blobPath ?? '')?.[1]);
  const line = Number(v.location?.startLine);
  const endLine = Number(v.location?.endLine);
  const identifier = v.identifiers?.[0];
  return {
    id: gitlabFindingId(repo, number),
    repo,
    kind: 'vulnerability',
    severity: severities[(v.severity ?? '').toUpperCase()] ?? 'medium',
    title: v.title ?? 'vulnerability',
    status: 'open',
    environment: null,
    service: null,
    artifact: null,
    commit: revision,
    release: null,
    ruleId: identifier?.externalId ?? identifier?.name ?? null,
    tool: v.scanner?.name ?? v.reportType ?? null,
    url: v.webUrl ?? null,
    detectedAt: v.detectedAt ?? null,
    detail: null,
    locations: v.location?.file
      ? [
          {
            path: v.location.file,
            line: Number.isInteger(line) && line > 0 ? line : null,
            endLine: Number.isInteger(endLine) && endLine > 0 ? endLine : null,
            column: null,
            revision,
          },
        ]
      : [],
    eventKey: `gitlab:vulnerability:${number}`,
  };
}

export const firstVulnerabilityPage = 25;

/**
 * One page of open vulnerabilities, the page halved (down to 5) while GitLab answers that the
 * query is too complex; `size` is the page size to start from, and the one that worked is returned.
 */
export async function vulnerabilityPage(
  client: { graphql<S extends z.ZodType>(query: string, variables: Record<string, unknown>, schema: S): Promise<z.infer<S>> },
  fullPath: string,
  after: string | null,
  size: number,
): Promise<{ answer: z.infer<typeof GqlVulnerabilities>; size: number }> {
  for (;;) {
    try {
      return { answer: await client.graphql(vulnerabilitiesQuery, { fullPath, after, first: size }, GqlVulnerabilities), size };
    } catch (e) {
      if (size <= 5 || !(e instanceof Error) || !/complexity/i.test(e.message)) throw e;
      size = Math.max(5, Math.floor(size / 2));
    }
  }
}
