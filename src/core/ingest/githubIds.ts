/**
 * Row ids of the things GitHub identifies, shared by the webhook reader, `lineage sync github`
 * and direct mode: a deployment, review, alert or check that arrives both by webhook and by a
 * backfill is one row, whichever came first. The same readers share how an alert's state reads.
 */
type Id = string | number;

export const githubIds = {
  /** Deployment ids are unique per GitHub host, not across hosts: the repository scopes them. */
  deployment: (repo: string, id: Id) => `github:${repo}:${id}`,
  review: (id: Id) => `github:${id}`,
  codeScanningAlert: (repo: string, number: Id) => `github:${repo}:code-scanning:${number}`,
  /** A workflow job is a check run under the same id, so a job's two events make one build. */
  checkRun: (id: Id) => `github:check_run:${id}`,
  checkSuite: (id: Id) => `github:check_suite:${id}`,
  /** One reviewer's decision on one environment of one workflow run (an environment's required reviewers). */
  deploymentReview: (repo: string, runId: Id, environment: string, approver: string) =>
    `github:${repo}:run:${runId}:environment:${environment}:review:${approver}`,
  workflowRun: (id: Id) => `github:workflow_run:${id}`,
  commitStatus: (id: Id) => `github:status:${id}`,
};

/** A code-scanning alert's state as a finding's status: fixed is resolved, dismissed suppressed. */
export function codeScanningStatus(state: string): 'open' | 'resolved' | 'suppressed' {
  return state === 'open' ? 'open' : state === 'fixed' ? 'resolved' : 'suppressed';
}

/**
 * The Actions run a URL names (a deployment status's log or target URL, a protection rule's
 * callback: …/actions/runs/<id>/…), from the first URL that names one.
 */
export function runIdIn(...urls: (string | null | undefined)[]): string | null {
  for (const url of urls) {
    const run = /\/actions\/runs\/(\d+)(?:\/|$)/.exec(url ?? '')?.[1];
    if (run) return run;
  }
  return null;
}
