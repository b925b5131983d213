/**
 * GitLab webhook deliveries (project or group hooks), as GitLab documents them:
 *
 * - Deployment Hook: a deployment of the project's commit (the commit URL names it in full) to
 *   an environment, with its status (running, success, failed, canceled) and who ran it.
 * - Merge Request Hook: the merge request (iid as its number), its head and merge commits; an
 *   `approved`/`approval` action is the acting user's approval of the head it was given on, an
 *   `unapproved`/`unapproval` action withdraws it.
 * - Pipeline Hook: the pipeline as a build of its commit, and each of its jobs as a check.
 * - Job Hook: the job as a check (the same row as the pipeline's listing of it).
 * - Release Hook: the release's commit.
 *
 * Every other event is kept as it came, with nothing derived. A delivery is keyed by its content,
 * so GitLab's retries and a "Resend request" are stored once; the body says which event it is
 * (`object_kind`), so a stored delivery re-derives without its headers, and a header that names
 * another event than the body is is refused. Row ids are scoped by the project's path, as the
 * project's own numbers are (its merge requests) or the instance's are (deployments, pipelines).
 */
import { isRepoSlug } from '../model/primitives';
import { type Fact, InvalidEventError, type NormalizedEvent, rankOf } from './facts';
import { at, int, isObject, iso, obj, sha, contentKey, str, type Json } from './values';

/** The X-Gitlab-Event of each event read, and the object_kind its body carries. */
const readEvents: Record<string, string> = {
  'Deployment Hook': 'deployment',
  'Merge Request Hook': 'merge_request',
  'Pipeline Hook': 'pipeline',
  'Job Hook': 'build',
  'Release Hook': 'release',
};

export function isReadGitlabEvent(header: string): boolean {
  return header in readEvents;
}

export const gitlabIds = {
  deployment: (repo: string, id: string | number) => `gitlab:${repo}:deployment:${id}`,
  pipeline: (repo: string, id: string | number) => `gitlab:${repo}:pipeline:${id}`,
  job: (repo: string, id: string | number) => `gitlab:${repo}:job:${id}`,
  approval: (repo: string, iid: number, username: string) => `gitlab:${repo}:merge_request:${iid}:approval:${username}`,
};

export function gitlabEventKey(raw: string): { key: string; rawSha256: string } {
  return contentKey('gitlab', raw);
}

/**
 * The facts of a delivery; `header` is X-Gitlab-Event at ingest, absent when a stored delivery is
 * derived again (its body says what it is).
 */
export function normalizeGitlabEvent(payload: Json, raw: string, header?: string): NormalizedEvent {
  const kind = str(payload.object_kind);
  const read = kind !== null && Object.values(readEvents).includes(kind);
  if (header !== undefined) {
    const expected = readEvents[header];
    if (expected ? kind !== expected : read) {
      throw new InvalidEventError(
        '/object_kind',
        `X-Gitlab-Event says "${header}", but the body is ${kind ? `a "${kind}" event` : 'no GitLab event'}`,
      );
    }
  }
  const { key, rawSha256 } = gitlabEventKey(raw);
  if (!read) return { key, format: 'gitlab', raw, facts: [], rawSha256 };
  const repo = str(at(payload, 'project.path_with_namespace'));
  if (!repo) throw new InvalidEventError('/project/path_with_namespace', 'required');
  if (!isRepoSlug(repo))
    throw new InvalidEventError('/project/path_with_namespace', 'expected a project path, group/name or group/subgroup/name');
  const facts: Fact[] = [];
  switch (kind) {
    case 'deployment':
      facts.push(deploymentFact(payload, repo, key));
      break;
    case 'merge_request':
      facts.push(...mergeRequestFacts(payload, repo, key));
      break;
    case 'pipeline': {
      const p = obj(payload.object_attributes);
      if (!p) throw new InvalidEventError('/object_attributes', 'required');
      const id = str(p.id);
      if (!id) throw new InvalidEventError('/object_attributes/id', 'required');
      const commit = sha(p.sha);
      facts.push(
        buildFact(key, {
          id: gitlabIds.pipeline(repo, id),
          repo,
          kind: 'pipeline',
          name: str(p.name) ?? 'pipeline',
          commit,
          status: str(p.status),
          url: str(p.url),
          startedAt: iso(p.created_at),
          finishedAt: iso(p.finished_at),
          ref: str(p.ref),
          workflow: str(at(payload, 'project.ci_config_path')) || null,
        }),
      );
      const jobs = Array.isArray(payload.builds) ? payload.builds : [];
      jobs.forEach((job, i) => {
        if (!isObject(job)) throw new InvalidEventError(`/builds/${i}`, 'expected an object');
        const jobId = str(job.id);
        if (!jobId) throw new InvalidEventError(`/builds/${i}/id`, 'required');
        facts.push(
          buildFact(key, {
            id: gitlabIds.job(repo, jobId),
            repo,
            kind: 'check',
            name: str(job.name),
            commit,
            status: str(job.status),
            url: null,
            startedAt: iso(job.started_at) ?? iso(job.created_at),
            finishedAt: iso(job.finished_at),
            ref: str(p.ref),
            workflow: null,
          }),
        );
      });
      break;
    }
    case 'build': {
      const id = str(payload.build_id);
      if (!id) throw new InvalidEventError('/build_id', 'required');
      const web = str(at(payload, 'project.web_url'));
      facts.push(
        buildFact(key, {
          id: gitlabIds.job(repo, id),
          repo,
          kind: 'check',
          name: str(payload.build_name),
          commit: sha(payload.sha),
          status: str(payload.build_status),
          url: web ? `${web}/-/jobs/${id}` : null,
          startedAt: iso(payload.build_started_at_iso) ?? iso(payload.build_started_at) ?? iso(payload.build_created_at),
          finishedAt: iso(payload.build_finished_at_iso) ?? iso(payload.build_finished_at),
          ref: str(payload.ref),
          workflow: null,
        }),
      );
      break;
    }
    case 'release': {
      const commit = obj(payload.commit);
      const commitSha = sha(commit?.id);
      if (!commitSha) throw new InvalidEventError('/commit/id', 'required: a full commit SHA');
      const when = iso(commit?.timestamp);
      facts.push({
        table: 'commits',
        rank: rankOf(when, 0, key),
        row: { repo, sha: commitSha, message: str(commit?.message), author: str(at(commit, 'author.name')), at: when },
      });
      break;
    }
  }
  return { key, format: 'gitlab', raw, facts, rawSha256 };
}

/**
 * GitLab's deployment statuses as the model's, ordered for ranks: one table for webhooks and
 * direct mode, so a deployment reads the same through either. `skipped` and `canceled` are final:
 * the deployment never ran, an error rather than a deployment still to come.
 */
export const gitlabDeploymentStatuses: Readonly<
  Record<string, readonly ['pending' | 'in_progress' | 'success' | 'failure' | 'error', number]>
> = {
  created: ['pending', 0],
  blocked: ['pending', 0],
  running: ['in_progress', 1],
  success: ['success', 2],
  failed: ['failure', 2],
  canceled: ['error', 2],
  skipped: ['error', 2],
};

function deploymentFact(payload: Json, repo: string, key: string): Fact {
  const id = int(payload.deployment_id);
  if (id === null) throw new InvalidEventError('/deployment_id', 'required');
  const environment = str(payload.environment);
  if (!environment) throw new InvalidEventError('/environment', 'required');
  const statusAt = iso(payload.status_changed_at);
  if (!statusAt) throw new InvalidEventError('/status_changed_at', 'required');
  const [status, order] = gitlabDeploymentStatuses[str(payload.status) ?? ''] ?? ['pending', 0];
  // The hook names the commit by its short SHA and its URL, whose last segment is the full one.
  const commit = sha(/\/commit\/([0-9a-f]+)\/?$/i.exec(str(payload.commit_url) ?? '')?.[1]);
  return {
    table: 'deployments',
    rank: rankOf(statusAt, order, key),
    row: {
      id: gitlabIds.deployment(repo, id),
      repo,
      environment,
      service: null,
      commit_sha: commit,
      artifact_digest: null,
      at: statusAt,
      actor: str(at(payload, 'user.username')),
      actor_type: null,
      // GitLab numbers deployments in the order they were created.
      sequence: id,
      origin: 'gitlab',
      kind: 'deploy',
      status,
      status_at: statusAt,
      reason: null,
      url: str(payload.deployable_url) ?? str(payload.environment_external_url),
      run_id: null,
      verified_by: null,
    },
  };
}

function mergeRequestFacts(payload: Json, repo: string, key: string): Fact[] {
  const mr = obj(payload.object_attributes);
  if (!mr) throw new InvalidEventError('/object_attributes', 'required');
  const number = int(mr.iid);
  if (number === null) throw new InvalidEventError('/object_attributes/iid', 'required');
  const action = str(mr.action);
  const gitlabState = str(mr.state);
  const state = gitlabState === 'merged' ? 'merged' : gitlabState === 'closed' ? 'closed' : 'open';
  const updatedAt = iso(mr.updated_at);
  const head = sha(at(mr, 'last_commit.id'));
  const mergeCommit = state === 'merged' ? (sha(mr.merge_commit_sha) ?? sha(mr.squash_commit_sha)) : null;
  const user = str(at(payload, 'user.username'));
  const facts: Fact[] = [
    {
      table: 'pull_requests',
      rank: rankOf(updatedAt, state === 'open' ? 0 : 1, key),
      row: {
        repo,
        number,
        title: str(mr.title),
        url: str(mr.url),
        // The acting user is the author only when the event is the opening.
        author: action === 'open' ? user : null,
        state,
        head_sha: head,
        head_ref: str(mr.source_branch),
        base_ref: str(mr.target_branch),
        merge_commit: mergeCommit,
        merged_at: state === 'merged' ? (iso(mr.merged_at) ?? updatedAt) : null,
        updated_at: updatedAt,
      },
      commits: [head, mergeCommit].filter((c): c is string => c !== null),
    },
  ];
  const approving = action === 'approved' || action === 'approval';
  const withdrawing = action === 'unapproved' || action === 'unapproval';
  if ((approving || withdrawing) && user) {
    facts.push({
      table: 'reviews',
      rank: rankOf(updatedAt, 0, key),
      row: {
        repo,
        id: gitlabIds.approval(repo, number, user),
        pull_request: number,
        reviewer: user,
        state: approving ? 'approved' : 'dismissed',
        // An approval covers the merge request as of its head when it was given.
        commit_sha: head,
        at: updatedAt,
      },
    });
  }
  return facts;
}

interface BuildReport {
  id: string;
  repo: string;
  kind: 'pipeline' | 'check';
  name: string | null;
  commit: string | null;
  status: string | null;
  url: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  ref: string | null;
  workflow: string | null;
}

/** GitLab's pipeline and job statuses as a build's state and conclusion (webhooks and direct mode alike). */
export function gitlabBuildState(status: string | null): { state: 'queued' | 'in_progress' | 'completed'; conclusion: string | null } {
  switch (status) {
    case 'running':
      return { state: 'in_progress', conclusion: null };
    case 'success':
      return { state: 'completed', conclusion: 'success' };
    case 'failed':
      return { state: 'completed', conclusion: 'failure' };
    case 'canceled':
      return { state: 'completed', conclusion: 'cancelled' };
    case 'skipped':
      return { state: 'completed', conclusion: 'skipped' };
    case 'manual':
      return { state: 'queued', conclusion: 'action_required' };
    default:
      return { state: 'queued', conclusion: null };
  }
}

function buildFact(key: string, b: BuildReport): Fact {
  const { state, conclusion } = gitlabBuildState(b.status);
  const finished = state === 'completed' ? b.finishedAt : null;
  return {
    table: 'builds',
    rank: rankOf(finished ?? b.startedAt, state === 'completed' ? 2 : state === 'in_progress' ? 1 : 0, key),
    row: {
      id: b.id,
      repo: b.repo,
      kind: b.kind,
      name: b.name,
      commit_sha: b.commit,
      status: state,
      conclusion,
      url: b.url,
      started_at: b.startedAt,
      finished_at: finished,
      workflow: b.workflow,
      ref: b.ref,
    },
  };
}
