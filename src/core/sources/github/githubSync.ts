/**
 * `lineage sync github`: GitHub's history (deployments with their latest status, pull requests
 * with their reviews and the checks of their heads, open code-scanning alerts) written to the
 * service as native events. A deployment whose payload names an artifact digest carries it, and
 * the organisation's artifact deployment records of that digest come along as deployments of the
 * same commit.
 *
 * Idempotent: every event id is derived from what GitHub identifies it by (a deployment status, a
 * review, a pull request at its update time), so a second run stores nothing new; and every row
 * carries the id the webhook reader gives it (githubIds), so a run after the webhooks delivered
 * part of the history adds no second copy. Resumable: after each page the phase and page are
 * saved, and an interrupted run continues from there.
 */
import { rmSync } from 'node:fs';
import { z } from 'zod';
import { readSyncState, writeSyncState } from '../syncState';
import type { ApiClient } from '../apiClient';
import { GitHubError, type GitHubClient } from './githubClient';
import { githubIds, runIdIn } from '../../ingest/githubIds';
import { digestFrom } from '../../ingest/values';
import {
  alertFinding,
  CodeScanningAlert,
  deploymentKind,
  deploymentStatus,
  payloadDigest,
  recordDeployment,
  reviewState,
} from './githubMappings';
import { codeScanningUnavailable, commitChecks, deploymentRecordsOf, runReviews } from './githubReads';
import { buildEvent, findingEvent } from '../syncEvents';

const User = z.object({ login: z.string(), type: z.string().optional() }).nullable().optional();
const RestDeployment = z.object({
  id: z.number(),
  sha: z.string(),
  environment: z.string(),
  task: z.string().nullable().optional(),
  payload: z.unknown().optional(),
  created_at: z.string(),
  creator: User,
});
const RestStatus = z.object({
  id: z.number(),
  state: z.string(),
  created_at: z.string(),
  environment_url: z.string().nullable().optional(),
  log_url: z.string().nullable().optional(),
  target_url: z.string().nullable().optional(),
});

const RestPull = z.object({
  number: z.number(),
  title: z.string().nullable(),
  html_url: z.string().nullable().optional(),
  state: z.string(),
  user: User,
  merged_at: z.string().nullable().optional(),
  merge_commit_sha: z.string().nullable().optional(),
  updated_at: z.string(),
  head: z.object({ sha: z.string(), ref: z.string().nullable().optional() }),
  base: z.object({ ref: z.string().nullable().optional() }),
});
const RestReview = z.object({
  id: z.number(),
  user: User,
  state: z.string(),
  commit_id: z.string().nullable().optional(),
  submitted_at: z.string().nullable().optional(),
});
const RestRun = z.object({
  id: z.number(),
  name: z.string().nullable().optional(),
  path: z.string().nullable().optional(),
  head_sha: z.string(),
  head_branch: z.string().nullable().optional(),
  status: z.string().nullable(),
  conclusion: z.string().nullable(),
  html_url: z.string().nullable().optional(),
  run_started_at: z.string().nullable().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});
const RestArtifact = z.object({
  id: z.number(),
  name: z.string(),
  digest: z.string().nullable().optional(),
  created_at: z.string().nullable().optional(),
});
const phases = ['deployments', 'pulls', 'alerts', 'runs'] as const;
type Phase = (typeof phases)[number];

export interface SyncState {
  phase: Phase;
  page: number;
  sent: number;
}

export interface SyncProgress {
  phase: Phase;
  page: number;
  events: number;
  stored: number;
}

export interface SyncOptions {
  github: GitHubClient;
  api: ApiClient;
  repo: string;
  since?: Date | null;
  /** Where progress is saved between runs. */
  stateFile: string;
  onProgress?: (p: SyncProgress) => void;
}

const sha = /^[0-9a-f]{40}$/;

export async function syncGithub(options: SyncOptions): Promise<{ events: number; stored: number; resumed: boolean; skipped: string[] }> {
  const { github, api, repo } = options;
  const [owner, name] = repo.split('/') as [string, string];
  const saved = readSyncState(options.stateFile, phases) as SyncState | null;
  let state: SyncState = saved ?? { phase: 'deployments', page: 1, sent: 0 };
  let stored = 0;
  // What the token or the repository does not offer is left out and said, not a failed run.
  const skipped: string[] = [];
  // A run that deployed to several environments is asked for its reviews once.
  const reviewedRuns = new Set<string>();
  const since = options.since?.toISOString() ?? null;
  const send = async (events: object[]) => {
    for (let i = 0; i < events.length; i += 500) {
      const result = await api.ingest('events', JSON.stringify(events.slice(i, i + 500)));
      stored += result.events.filter((e) => e.status === 'stored').length;
    }
    state.sent += events.length;
  };
  const page = <S extends z.ZodType>(route: string, params: Record<string, unknown>, schema: S) =>
    github.get(route, { ...params, per_page: 100, page: state.page }, z.array(schema));

  for (let p = phases.indexOf(state.phase); p < phases.length; p++) {
    const phase = phases[p]!;
    if (state.phase !== phase) state = { phase, page: 1, sent: state.sent };
    for (;;) {
      const events: object[] = [];
      let more: boolean;
      if (phase === 'deployments') {
        const deployments = await page('/repos/{owner}/{repo}/deployments', { owner, repo: name }, RestDeployment);
        const recent = since ? deployments.filter((d) => d.created_at >= since) : deployments;
        const artifacts = new Map<string, string>();
        for (const d of recent) {
          if (!sha.test(d.sha)) continue;
          const artifact = payloadDigest(d.payload);
          if (artifact && !artifacts.has(artifact)) artifacts.set(artifact, d.sha);
          const [status] = await github.get(
            '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
            { owner, repo: name, deployment_id: d.id, per_page: 1 },
            z.array(RestStatus),
          );
          const run = runIdIn(status?.log_url, status?.target_url);
          events.push({
            type: 'deployment',
            id: `github:deployment:${d.id}:${status?.id ?? 'none'}`,
            repo,
            deploymentId: githubIds.deployment(repo, d.id),
            environment: d.environment,
            commit: d.sha,
            at: d.created_at,
            actor: d.creator?.login,
            // GitHub's deployment ids are its order: the same sequence the webhooks carry.
            sequence: d.id,
            origin: 'github',
            ...(d.creator?.type === 'Bot' ? { actorType: 'bot' } : d.creator?.type === 'User' ? { actorType: 'person' } : {}),
            kind: deploymentKind(d.task),
            status: deploymentStatus(status?.state),
            ...(artifact ? { artifact } : {}),
            ...(status?.environment_url ? { url: status.environment_url } : {}),
            ...(run ? { runId: run } : {}),
          });
          if (run && !reviewedRuns.has(run)) {
            reviewedRuns.add(run);
            events.push(...(await runApprovals(github, repo, run, skipped)));
          }
        }
        events.push(...(await recordEvents(github, repo, artifacts, skipped)));
        more = deployments.length === 100 && recent.length === deployments.length;
      } else if (phase === 'pulls') {
        const pulls = await page(
          '/repos/{owner}/{repo}/pulls',
          { owner, repo: name, state: 'all', sort: 'updated', direction: 'desc' },
          RestPull,
        );
        const recent = since ? pulls.filter((pr) => pr.updated_at >= since) : pulls;
        for (const pr of recent) {
          const merge = pr.merged_at && pr.merge_commit_sha && sha.test(pr.merge_commit_sha) ? pr.merge_commit_sha : undefined;
          events.push({
            type: 'pull_request',
            id: `github:pull_request:${pr.number}:${pr.updated_at}`,
            repo,
            number: pr.number,
            ...(pr.title ? { title: pr.title } : {}),
            ...(pr.html_url ? { url: pr.html_url } : {}),
            ...(pr.user?.login ? { author: pr.user.login } : {}),
            state: pr.merged_at ? 'merged' : pr.state === 'closed' ? 'closed' : 'open',
            ...(sha.test(pr.head.sha) ? { headSha: pr.head.sha } : {}),
            ...(pr.head.ref ? { headRef: pr.head.ref } : {}),
            ...(pr.base.ref ? { baseRef: pr.base.ref } : {}),
            ...(merge ? { mergeCommit: merge, mergedAt: pr.merged_at } : {}),
            updatedAt: pr.updated_at,
          });
          // The checks on the head, for the blocking-check rule (a closed, unmerged one needs none).
          if (sha.test(pr.head.sha) && (pr.state === 'open' || merge)) events.push(...(await buildEvents(github, repo, pr.head.sha)));
          const reviews = await github.list(
            '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
            { owner, repo: name, pull_number: pr.number },
            RestReview,
            1000,
          );
          for (const r of reviews) {
            const state = reviewState(r.state);
            if (!state || !r.user?.login) continue;
            events.push({
              type: 'review',
              id: `github:review:${r.id}:${r.state}`,
              repo,
              reviewId: githubIds.review(r.id),
              pullRequest: pr.number,
              reviewer: r.user.login,
              state,
              ...(r.commit_id && sha.test(r.commit_id) ? { commit: r.commit_id } : {}),
              ...(r.submitted_at ? { at: r.submitted_at } : {}),
            });
          }
        }
        more = pulls.length === 100 && recent.length === pulls.length;
      } else if (phase === 'runs') {
        const { workflow_runs: runs } = await github.get(
          '/repos/{owner}/{repo}/actions/runs',
          { owner, repo: name, per_page: 100, page: state.page },
          z.object({ workflow_runs: z.array(RestRun) }),
        );
        const recent = since ? runs.filter((r) => r.updated_at >= since) : runs;
        for (const run of recent) events.push(...(await runEvents(github, repo, run, skipped)));
        more = runs.length === 100 && recent.length === runs.length;
      } else {
        let alerts: z.infer<typeof CodeScanningAlert>[];
        try {
          alerts = await page('/repos/{owner}/{repo}/code-scanning/alerts', { owner, repo: name, state: 'open' }, CodeScanningAlert);
        } catch (e) {
          const why = codeScanningUnavailable(repo, e);
          if (!why) throw e;
          skipped.push(`code-scanning alerts: ${why}`);
          alerts = [];
        }
        for (const a of alerts) events.push(findingEvent(alertFinding(repo, a), `github:code_scanning_alert:${a.number}:${a.state}`));
        more = alerts.length === 100;
      }
      await send(events);
      options.onProgress?.({ phase, page: state.page, events: state.sent, stored });
      state.page++;
      writeSyncState(options.stateFile, state);
      if (!more) break;
    }
  }
  rmSync(options.stateFile, { force: true });
  return { events: state.sent, stored, resumed: saved !== null, skipped };
}

/**
 * A workflow run as a build event under the id its workflow_run webhook gives it, and the
 * artifacts it uploaded that GitHub gives a digest as artifacts of its commit, built by it.
 */
async function runEvents(github: GitHubClient, repo: string, run: z.infer<typeof RestRun>, skipped: string[]): Promise<object[]> {
  if (!sha.test(run.head_sha)) return [];
  const [owner, name] = repo.split('/') as [string, string];
  const state = run.status === 'completed' ? 'completed' : run.status === 'in_progress' ? 'in_progress' : 'queued';
  const buildId = githubIds.workflowRun(run.id);
  const events: object[] = [
    {
      type: 'build',
      id: `github:workflow_run:${run.id}:${run.updated_at}`,
      repo,
      buildId,
      kind: 'workflow',
      ...(run.name ? { name: run.name } : {}),
      commit: run.head_sha,
      status: state,
      ...(run.conclusion ? { conclusion: run.conclusion } : {}),
      ...(run.html_url ? { url: run.html_url } : {}),
      ...(run.path ? { workflow: run.path.replace(/@.*$/, '') } : {}),
      ...(run.head_branch ? { ref: run.head_branch } : {}),
      startedAt: run.run_started_at ?? run.created_at,
      ...(state === 'completed' ? { finishedAt: run.updated_at } : {}),
    },
  ];
  let artifacts: z.infer<typeof RestArtifact>[];
  try {
    ({ artifacts } = await github.get(
      '/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts',
      { owner, repo: name, run_id: run.id, per_page: 100 },
      z.object({ artifacts: z.array(RestArtifact) }),
    ));
  } catch (e) {
    if (!GitHubError.is(e, 'forbidden') && !GitHubError.is(e, 'notFound')) throw e;
    const what = 'workflow run artifacts: the token may not read them';
    if (!skipped.includes(what)) skipped.push(what);
    return events;
  }
  for (const a of artifacts) {
    const digest = digestFrom(a.digest);
    if (!digest) continue;
    events.push({
      type: 'artifact',
      id: `github:artifact:${a.id}`,
      repo,
      digest,
      name: a.name,
      commit: run.head_sha,
      buildId,
      ...(a.created_at ? { createdAt: a.created_at } : {}),
    });
  }
  return events;
}

/** The check runs and commit statuses of one commit as build events, under the webhooks' ids. */
async function buildEvents(github: GitHubClient, repo: string, commit: string): Promise<object[]> {
  return (await commitChecks(github, repo, commit)).map((b) => buildEvent(repo, b));
}

/** The artifact deployment records of these digests (digest → commit) as deployment events. */
async function recordEvents(github: GitHubClient, repo: string, artifacts: Map<string, string>, skipped: string[]): Promise<object[]> {
  const events: object[] = [];
  const org = repo.split('/')[0]!;
  for (const [digest, commit] of artifacts) {
    let records;
    try {
      records = await deploymentRecordsOf(github, org, digest);
    } catch (e) {
      if (!GitHubError.is(e, 'forbidden')) throw e;
      skipped.push(`artifact deployment records: ${e.message}`);
      return events;
    }
    for (const r of records) {
      const d = recordDeployment(repo, digest, commit, r);
      if (!d) continue;
      events.push({
        type: 'deployment',
        id: `${d.eventKey}:${d.at}:${d.status}`,
        repo,
        deploymentId: d.id,
        environment: d.environment,
        commit,
        artifact: d.artifact,
        at: d.at,
        kind: d.kind,
        status: d.status,
        ...(d.service ? { service: d.service } : {}),
      });
    }
  }
  return events;
}

/** The environment reviews of one run, as approval events under the ids the deployment_review webhook gives them. */
async function runApprovals(github: GitHubClient, repo: string, run: string, skipped: string[]): Promise<object[]> {
  const decisions = await runReviews(github, repo, run);
  if (decisions === null) {
    const what = "environment approvals: the token may not read the runs' reviews";
    if (!skipped.includes(what)) skipped.push(what);
    return [];
  }
  return decisions.map((d) => ({
    type: 'approval',
    id: `github:deployment-review:${run}:${d.environment}:${d.approver}`,
    repo,
    approvalId: githubIds.deploymentReview(repo, run, d.environment, d.approver),
    environment: d.environment,
    approver: d.approver,
    state: d.state,
    ...(d.comment ? { comment: d.comment } : {}),
    runId: run,
  }));
}
