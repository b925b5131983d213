/**
 * How GitHub's words become the domain's, shared by direct mode (githubSource) and the backfill
 * (githubSync), so both read a review, a deployment or a code-scanning alert the same way.
 */
import { z } from 'zod';
import type { Build, Deployment, Finding, Review } from '../../model/domain';
import { codeScanningStatus, githubIds } from '../../ingest/githubIds';
export { payloadDigest } from '../../ingest/values';

const reviewStates: Record<string, Review['state']> = {
  APPROVED: 'approved',
  CHANGES_REQUESTED: 'changes_requested',
  COMMENTED: 'commented',
  DISMISSED: 'dismissed',
  PENDING: 'pending',
};
const severities: Record<string, Finding['severity']> = {
  critical: 'critical',
  high: 'high',
  error: 'high',
  medium: 'medium',
  warning: 'medium',
  low: 'low',
  note: 'info',
  none: 'info',
};
const statuses = new Set<Deployment['status']>(['pending', 'queued', 'in_progress', 'success', 'failure', 'error', 'inactive']);

/** A review state (APPROVED…), or null for one this project does not know. */
export function reviewState(state: string): Review['state'] | null {
  return reviewStates[state] ?? null;
}

/** A deployment's kind from its task ("deploy", "deploy:rollback", "hotfix"…). */
export function deploymentKind(task: string | null | undefined): Deployment['kind'] {
  return /rollback/i.test(task ?? '') ? 'rollback' : /hotfix/i.test(task ?? '') ? 'hotfix' : 'deploy';
}

/** A deployment status state (REST lower case, GraphQL upper case); unknown ones are pending. */
export function deploymentStatus(state: string | null | undefined): Deployment['status'] {
  const s = (state ?? 'pending').toLowerCase() as Deployment['status'];
  return statuses.has(s) ? s : 'pending';
}

export const CodeScanningAlert = z.object({
  number: z.number().int(),
  state: z.string(),
  html_url: z.string().nullable().optional(),
  created_at: z.string().nullable().optional(),
  rule: z.object({
    id: z.string().nullable().optional(),
    severity: z.string().nullable().optional(),
    security_severity_level: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
  }),
  tool: z.object({ name: z.string().nullable().optional() }).optional(),
  most_recent_instance: z
    .object({
      commit_sha: z.string().nullable().optional(),
      environment: z.string().nullable().optional(),
      location: z
        .object({ path: z.string().nullable().optional(), start_line: z.number().int().nullable().optional() })
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});
export type CodeScanningAlert = z.infer<typeof CodeScanningAlert>;

/** A code-scanning alert as a finding located at its most recent instance. */
export function alertFinding(repo: string, a: CodeScanningAlert): Finding {
  const inst = a.most_recent_instance;
  const level = (a.rule.security_severity_level ?? a.rule.severity ?? 'medium').toLowerCase();
  return {
    id: githubIds.codeScanningAlert(repo, a.number),
    repo,
    kind: 'vulnerability',
    severity: severities[level] ?? 'medium',
    title: a.rule.description ?? a.rule.id ?? `code scanning alert ${a.number}`,
    status: codeScanningStatus(a.state),
    environment: inst?.environment ?? null,
    service: null,
    artifact: null,
    commit: inst?.commit_sha ?? null,
    release: null,
    ruleId: a.rule.id ?? null,
    tool: a.tool?.name ?? null,
    url: a.html_url ?? null,
    detectedAt: a.created_at ?? null,
    detail: null,
    locations: inst?.location?.path
      ? [
          {
            path: inst.location.path,
            line: inst.location.start_line ?? null,
            endLine: null,
            column: null,
            revision: inst.commit_sha ?? null,
          },
        ]
      : [],
    eventKey: `github:code_scanning_alert:${a.number}`,
  };
}

/**
 * One record of GitHub's artifact metadata (`/orgs/{org}/artifacts/{digest}/metadata/deployment-records`):
 * an artifact deployed in a logical environment, maybe with a region and cluster. Fields are
 * optional because GitHub's own example leaves some out (`created` instead of `created_at`).
 */
export const DeploymentRecord = z.object({
  id: z.union([z.number(), z.string()]),
  digest: z.string().optional(),
  logical_environment: z.string(),
  physical_environment: z.string().nullable().optional(),
  cluster: z.string().nullable().optional(),
  deployment_name: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
  runtime_risks: z.array(z.string()).nullable().optional(),
  created_at: z.string().nullable().optional(),
  created: z.string().nullable().optional(),
  updated_at: z.string().nullable().optional(),
  attestation_id: z.number().nullable().optional(),
});
export type DeploymentRecord = z.infer<typeof DeploymentRecord>;

export const DeploymentRecords = z.object({ total_count: z.number().optional(), deployment_records: z.array(DeploymentRecord) });

/** When a record last said the artifact was there. */
export function recordTime(r: DeploymentRecord): string | null {
  return r.updated_at ?? r.created_at ?? r.created ?? null;
}

/** A deployment record as a deployment of `commit` (the commit its artifact was built from, when known). */
export function recordDeployment(repo: string, digest: string, commit: string | null, r: DeploymentRecord): Deployment | null {
  const at = recordTime(r);
  if (!at || !Number.isFinite(Date.parse(at))) return null;
  return {
    id: `github-record:${r.id}`,
    repo,
    environment: r.logical_environment,
    service: r.deployment_name || null,
    commit,
    artifact: (r.digest ?? digest).toLowerCase(),
    at: new Date(Date.parse(at)).toISOString(),
    actor: null,
    kind: 'deploy',
    // Records without a status are current ones; GitHub takes "deployed" and "decommissioned".
    status: r.status === 'decommissioned' ? 'inactive' : 'success',
    // Region and cluster are placement, not a reason; `trace` reports them (artifactPlacements).
    reason: null,
    url: null,
    approvals: [],
    eventKey: `github:deployment_record:${r.id}`,
  };
}

/** A commit status (`/commits/{ref}/status`): how CI systems without check runs report. */
export const CommitStatus = z.object({
  id: z.number(),
  state: z.string(),
  context: z.string(),
  description: z.string().nullable().optional(),
  target_url: z.string().nullable().optional(),
  created_at: z.string().nullable().optional(),
  updated_at: z.string().nullable().optional(),
});
export type CommitStatus = z.infer<typeof CommitStatus>;

/** A commit status as a check: pending is still running, success/failure/error are conclusions. */
export function statusBuild(repo: string, commit: string, s: CommitStatus): Build {
  const done = s.state !== 'pending';
  return {
    id: githubIds.commitStatus(s.id),
    repo,
    kind: 'check',
    name: s.context,
    commit,
    status: done ? 'completed' : 'in_progress',
    conclusion: done ? s.state : null,
    url: s.target_url ?? null,
    startedAt: s.created_at ?? null,
    finishedAt: done ? (s.updated_at ?? null) : null,
    eventKey: `github:status:${s.id}`,
  };
}

/** The check runs of a commit (`/commits/{ref}/check-runs`). */
export const CheckRuns = z.object({
  check_runs: z.array(
    z.object({
      id: z.number(),
      name: z.string(),
      head_sha: z.string(),
      status: z.string(),
      conclusion: z.string().nullable().optional(),
      html_url: z.string().nullable().optional(),
      started_at: z.string().nullable().optional(),
      completed_at: z.string().nullable().optional(),
    }),
  ),
});

export type CheckRun = z.infer<typeof CheckRuns>['check_runs'][number];

export function checkRunBuild(repo: string, r: CheckRun): Build {
  return {
    id: githubIds.checkRun(r.id),
    repo,
    kind: 'check',
    name: r.name,
    commit: r.head_sha,
    status: r.status === 'completed' ? 'completed' : r.status === 'in_progress' ? 'in_progress' : 'queued',
    conclusion: r.conclusion ?? null,
    url: r.html_url ?? null,
    startedAt: r.started_at ?? null,
    finishedAt: r.completed_at ?? null,
    eventKey: `github:check_run:${r.id}`,
  };
}

/** The combined status of a commit (`/commits/{ref}/status`). */
export const CombinedStatus = z.object({ statuses: z.array(CommitStatus) });

/** `/rate_limit`: what the token has left (this request itself costs nothing). */
export const RateLimit = z.object({
  resources: z.object({
    core: z.object({ limit: z.number(), remaining: z.number(), reset: z.number() }),
    graphql: z.object({ remaining: z.number() }).optional(),
  }),
});
