/**
 * How GitHub's words become the domain's, shared by direct mode (githubSource) and the backfill
 * (githubSync), so both read a review, a deployment or a code-scanning alert the same way.
 */
import { z } from 'zod';
import type { Deployment, Finding, Review } from '../../model/domain';

const reviewStates: Record<string, Review['state']> = { APPROVED: 'approved', CHANGES_REQUESTED: 'changes_requested', COMMENTED: 'commented', DISMISSED: 'dismissed', PENDING: 'pending' };
const severities: Record<string, Finding['severity']> = { critical: 'critical', high: 'high', error: 'high', medium: 'medium', warning: 'medium', low: 'low', note: 'info', none: 'info' };
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
  rule: z.object({ id: z.string().nullable().optional(), severity: z.string().nullable().optional(), security_severity_level: z.string().nullable().optional(), description: z.string().nullable().optional() }),
  tool: z.object({ name: z.string().nullable().optional() }).optional(),
  most_recent_instance: z
    .object({
      commit_sha: z.string().nullable().optional(),
      environment: z.string().nullable().optional(),
      location: z.object({ path: z.string().nullable().optional(), start_line: z.number().int().nullable().optional() }).nullable().optional(),
    })
    .nullable()
    .optional(),
});
export type CodeScanningAlert = z.infer<typeof CodeScanningAlert>;

/** An open code-scanning alert as a finding located at its most recent instance. */
export function alertFinding(repo: string, a: CodeScanningAlert): Finding {
  const inst = a.most_recent_instance;
  const level = (a.rule.security_severity_level ?? a.rule.severity ?? 'medium').toLowerCase();
  return {
    id: `github-code-scanning:${repo}#${a.number}`,
    repo,
    kind: 'vulnerability',
    severity: severities[level] ?? 'medium',
    title: a.rule.description ?? a.rule.id ?? `code scanning alert ${a.number}`,
    status: 'open',
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
    locations: inst?.location?.path ? [{ path: inst.location.path, line: inst.location.start_line ?? null, endLine: null, column: null, revision: inst.commit_sha ?? null }] : [],
    eventKey: `github:code_scanning_alert:${a.number}`,
  };
}
