/**
 * The REST reads direct mode (githubSource) and the backfill (githubSync) both make, so each is
 * asked, validated and excused the same way in both.
 */
import { z } from 'zod';
import type { Build } from '../../model/domain';
import { GitHubError, type GitHubClient } from './githubClient';
import { CheckRuns, checkRunBuild, CombinedStatus, DeploymentRecords, statusBuild, type DeploymentRecord } from './githubMappings';

/** The checks of one commit: check runs, and the commit statuses CI systems without check runs report. */
export async function commitChecks(github: GitHubClient, repo: string, commit: string): Promise<Build[]> {
  const [owner, name] = repo.split('/') as [string, string];
  const [runs, combined] = await Promise.all([
    github.get('/repos/{owner}/{repo}/commits/{ref}/check-runs', { owner, repo: name, ref: commit, per_page: 100 }, CheckRuns),
    github.get('/repos/{owner}/{repo}/commits/{ref}/status', { owner, repo: name, ref: commit, per_page: 100 }, CombinedStatus),
  ]);
  return [...runs.check_runs.map((r) => checkRunBuild(repo, r)), ...combined.statuses.map((s) => statusBuild(repo, commit, s))];
}

/**
 * The organisation's deployment records of one artifact. An owner that is a user, or an
 * organisation without artifact metadata, answers 404: no records, not an error.
 */
export async function deploymentRecordsOf(github: GitHubClient, org: string, digest: string): Promise<DeploymentRecord[]> {
  try {
    return (
      await github.get(
        '/orgs/{org}/artifacts/{subject_digest}/metadata/deployment-records',
        { org, subject_digest: digest },
        DeploymentRecords,
      )
    ).deployment_records;
  } catch (e) {
    if (GitHubError.is(e, 'notFound')) return [];
    throw e;
  }
}

/**
 * Why code-scanning alerts cannot be read, when that is the repository's or the token's state
 * rather than a failure: code scanning off (404), or no Advanced Security or permission (403).
 */
export function codeScanningUnavailable(repo: string, e: unknown): string | null {
  if (GitHubError.is(e, 'notFound')) return `${repo} has no code scanning, or the token cannot see it (404)`;
  if (GitHubError.is(e, 'forbidden')) return e.message;
  return null;
}

const RunReview = z.object({
  state: z.string(),
  comment: z.string().nullable().optional(),
  user: z.object({ login: z.string() }).nullable(),
  environments: z.array(z.object({ name: z.string() })),
});

export interface RunReviewDecision {
  environment: string;
  approver: string;
  state: 'approved' | 'rejected';
  comment: string | null;
}

/**
 * The decisions of an environment's required reviewers on one run's deployments, one per
 * environment a review covered. Null when the token may not read them or the run is gone.
 */
export async function runReviews(github: GitHubClient, repo: string, run: string): Promise<RunReviewDecision[] | null> {
  const [owner, name] = repo.split('/') as [string, string];
  let reviews: z.infer<typeof RunReview>[];
  try {
    reviews = await github.get(
      '/repos/{owner}/{repo}/actions/runs/{run_id}/approvals',
      { owner, repo: name, run_id: run },
      z.array(RunReview),
    );
  } catch (e) {
    if (GitHubError.is(e, 'forbidden') || GitHubError.is(e, 'notFound')) return null;
    throw e;
  }
  const decisions: RunReviewDecision[] = [];
  for (const review of reviews) {
    const approver = review.user?.login;
    if (!approver || (review.state !== 'approved' && review.state !== 'rejected')) continue;
    for (const { name: environment } of review.environments) {
      decisions.push({ environment, approver, state: review.state, comment: review.comment || null });
    }
  }
  return decisions;
}
