/**
 * GitHub webhook payloads (https://docs.github.com/webhooks/webhook-events-and-payloads), read as
 * the event the `X-GitHub-Event` header names once the body's shape agrees. Idempotent on a hash
 * of the body, whatever delivery id it came under.
 */
import { type Fact, InvalidEventError, type NormalizedEvent, rankOf } from './facts';
import { at, digestFrom, int, iso, obj, payloadDigest, sha, contentKey, str, type Json } from './values';
import { githubEventOfShape } from './githubShape';
import { severityOf } from './cdevents';
import { codeScanningStatus, githubIds, runIdIn } from './githubIds';

export const githubEventNames = [
  'deployment',
  'deployment_status',
  'pull_request',
  'pull_request_review',
  'workflow_run',
  'check_run',
  'status',
  'push',
  'code_scanning_alert',
  'ping',
  'workflow_job',
  'deployment_review',
  'deployment_protection_rule',
  'check_suite',
  'release',
] as const;

/** Whether the service reads facts from this event; others are stored as they came and acknowledged. */
export function isReadGithubEvent(event: string): boolean {
  return (githubEventNames as readonly string[]).includes(event);
}

const deploymentStatusOrder: Record<string, number> = {
  pending: 0,
  queued: 1,
  in_progress: 2,
  success: 3,
  failure: 3,
  error: 3,
  inactive: 4,
};

function login(v: unknown): string | null {
  return str(at(v, 'login')) ?? str(v);
}

/** GitHub's own account type: Bot (an app) or User (a person); anything else is not said. */
export function accountType(v: unknown): 'bot' | 'person' | null {
  const type = str(at(v, 'type')) ?? str(at(v, '__typename'));
  return type === 'Bot' ? 'bot' : type === 'User' ? 'person' : null;
}

/**
 * A delivery is keyed by its content (sha256 of the body as sent): GitHub's "Redeliver", or a
 * signed body replayed under a new X-GitHub-Delivery, is the same event and is stored once. The
 * event name must be the one the body's shape says (githubShape).
 */
export function githubEventKey(raw: string): { key: string; rawSha256: string } {
  return contentKey('github', raw);
}

/**
 * The facts of a delivery. An event the service does not read (issues, stars, …) is kept with no
 * facts, unless its body is shaped like one it does read: the header is not signed, so a body
 * must never be stored as another event than the one it is.
 */
export function normalizeGithubEvent(event: string, payload: Json, raw: string): NormalizedEvent {
  const shape = githubEventOfShape(payload);
  if (!isReadGithubEvent(event) && shape === null) return { ...githubEventKey(raw), format: 'github', raw, facts: [] };
  if (shape !== event) {
    throw new InvalidEventError(
      '',
      `X-GitHub-Event says "${event}", but the body is ${shape ? `a ${shape} event` : 'none of the supported events'}`,
    );
  }
  const { key, rawSha256 } = githubEventKey(raw);
  const repo = str(at(payload, 'repository.full_name'));
  const facts: Fact[] = [];
  const needRepo = (): string => {
    if (!repo) throw new InvalidEventError('/repository/full_name', `required for ${event} events`);
    return repo;
  };

  switch (event) {
    case 'deployment':
    case 'deployment_status': {
      const d = obj(payload.deployment);
      if (!d) throw new InvalidEventError('/deployment', 'required');
      // Deployments made by an Actions job name the run: its environment approvals are theirs.
      facts.push(deploymentFact(d, needRepo(), key, str(at(payload, 'workflow_run.id')), obj(payload.deployment_status)));
      break;
    }
    case 'deployment_protection_rule': {
      // A deployment waiting on a protection rule: recorded as created (pending), with its run,
      // which the callback URL names (…/actions/runs/<id>/deployment_protection_rule).
      const d = obj(payload.deployment);
      if (!d) throw new InvalidEventError('/deployment', 'required');
      const runId = runIdIn(str(payload.deployment_callback_url));
      facts.push(deploymentFact(d, needRepo(), key, runId, null));
      break;
    }
    case 'workflow_job': {
      const job = obj(payload.workflow_job);
      if (!job) throw new InvalidEventError('/workflow_job', 'required');
      const id = str(job.id);
      if (!id) throw new InvalidEventError('/workflow_job/id', 'required');
      const norm = buildState(str(job.status));
      const started = iso(job.started_at) ?? iso(job.created_at);
      const finished = norm === 'completed' ? iso(job.completed_at) : null;
      facts.push({
        table: 'builds',
        rank: buildRank(finished ?? started, norm, key),
        row: {
          id: githubIds.checkRun(id),
          repo: needRepo(),
          kind: 'check',
          name: str(job.name),
          commit_sha: sha(job.head_sha),
          status: norm,
          conclusion: str(job.conclusion),
          url: str(job.html_url),
          started_at: started,
          finished_at: finished,
          workflow: null,
          ref: str(job.head_branch),
        },
      });
      // A job with an environment carries its deployment: the link from GitHub's deployment to the run.
      const d = obj(payload.deployment);
      if (d) facts.push(deploymentFact(d, needRepo(), key, str(job.run_id), null));
      break;
    }
    case 'deployment_review': {
      const action = str(payload.action);
      if (action !== 'approved' && action !== 'rejected') break; // a request names reviewers, not a decision
      const runId = str(at(payload, 'workflow_run.id'));
      const approver = login(payload.approver);
      if (!runId) throw new InvalidEventError('/workflow_run/id', 'required');
      if (!approver) throw new InvalidEventError('/approver/login', 'required');
      const jobs = (Array.isArray(payload.workflow_job_runs) ? payload.workflow_job_runs : [payload.workflow_job_run]).map(obj);
      const environments = new Map<string, string | null>();
      for (const job of jobs) {
        const environment = job ? str(job.environment) : null;
        if (environment) environments.set(environment, iso(job!.updated_at));
      }
      const named = str(payload.environment);
      if (environments.size === 0 && named) environments.set(named, null);
      if (environments.size === 0) throw new InvalidEventError('/workflow_job_runs', 'names no environment');
      for (const [environment, decided] of environments) {
        const when = decided ?? iso(payload.since);
        facts.push({
          table: 'approvals',
          rank: rankOf(when, 1, key),
          row: {
            id: githubIds.deploymentReview(needRepo(), runId, environment, approver),
            repo: needRepo(),
            deployment_id: null,
            environment,
            approver,
            state: action,
            comment: str(payload.comment, 65536) || null,
            at: when,
            run_id: runId,
          },
        });
      }
      break;
    }
    case 'check_suite': {
      const suite = obj(payload.check_suite);
      if (!suite) throw new InvalidEventError('/check_suite', 'required');
      const id = str(suite.id);
      if (!id) throw new InvalidEventError('/check_suite/id', 'required');
      const norm = buildState(str(suite.status));
      const updated = iso(suite.updated_at) ?? iso(suite.created_at);
      facts.push({
        table: 'builds',
        rank: buildRank(updated, norm, key),
        row: {
          id: githubIds.checkSuite(id),
          repo: needRepo(),
          kind: 'check',
          name: str(at(suite, 'app.name')) ?? str(at(suite, 'app.slug')),
          commit_sha: sha(suite.head_sha),
          status: norm,
          conclusion: str(suite.conclusion),
          url: null,
          started_at: iso(suite.created_at),
          finished_at: norm === 'completed' ? updated : null,
          workflow: null,
          ref: str(suite.head_branch),
        },
      });
      break;
    }
    case 'release': {
      // A release's assets that GitHub gives a digest are artifacts of the release's commit, when
      // the release names one (target_commitish is often a branch, which names none for certain).
      const release = obj(payload.release);
      if (!release) throw new InvalidEventError('/release', 'required');
      if (str(payload.action) === 'deleted') break;
      const assets: unknown[] = Array.isArray(release.assets) ? release.assets : [];
      for (const a of assets) {
        const asset = obj(a);
        const digest = asset ? digestFrom(asset.digest) : null;
        if (!asset || !digest) continue;
        facts.push({
          table: 'artifacts',
          rank: rankOf(iso(asset.updated_at) ?? iso(asset.created_at), 0, key),
          row: {
            digest,
            name: str(asset.name),
            purl: null,
            repo: needRepo(),
            commit_sha: sha(release.target_commitish),
            build_id: null,
            created_at: iso(asset.created_at),
          },
        });
      }
      break;
    }
    case 'pull_request': {
      const pr = obj(payload.pull_request);
      if (!pr) throw new InvalidEventError('/pull_request', 'required');
      facts.push(pullRequestFact(pr, int(payload.number), needRepo(), key));
      break;
    }
    case 'pull_request_review': {
      const review = obj(payload.review);
      const pr = obj(payload.pull_request);
      if (!review) throw new InvalidEventError('/review', 'required');
      if (!pr) throw new InvalidEventError('/pull_request', 'required');
      const id = str(review.id);
      const number = int(pr.number);
      const reviewer = login(review.user);
      if (!id) throw new InvalidEventError('/review/id', 'required');
      if (number === null) throw new InvalidEventError('/pull_request/number', 'required');
      if (!reviewer) throw new InvalidEventError('/review/user/login', 'required');
      const state = (str(review.state) ?? 'commented').toLowerCase();
      const submitted = iso(review.submitted_at);
      // The review payload carries the pull request too, so a review never waits for its PR event.
      facts.push(pullRequestFact(pr, number, needRepo(), key));
      facts.push({
        table: 'reviews',
        // A dismissal keeps the review's submitted_at; its higher order makes it win.
        rank: rankOf(submitted, state === 'dismissed' ? 2 : 1, key),
        row: {
          repo: needRepo(),
          id: githubIds.review(id),
          pull_request: number,
          reviewer,
          state,
          commit_sha: sha(review.commit_id),
          at: submitted,
        },
      });
      break;
    }
    case 'workflow_run':
    case 'check_run': {
      const run = obj(event === 'workflow_run' ? payload.workflow_run : payload.check_run);
      if (!run) throw new InvalidEventError(`/${event}`, 'required');
      const id = str(run.id);
      if (!id) throw new InvalidEventError(`/${event}/id`, 'required');
      const norm = buildState(str(run.status));
      const started = iso(run.run_started_at) ?? iso(run.started_at);
      const finished = norm === 'completed' ? (iso(run.completed_at) ?? iso(run.updated_at)) : null;
      facts.push({
        table: 'builds',
        rank: buildRank(iso(run.updated_at) ?? finished ?? started, norm, key),
        row: {
          id: event === 'workflow_run' ? githubIds.workflowRun(id) : githubIds.checkRun(id),
          repo: needRepo(),
          kind: event === 'workflow_run' ? 'workflow' : 'check',
          name: str(run.name),
          commit_sha: sha(run.head_sha),
          status: norm,
          conclusion: str(run.conclusion),
          url: str(run.html_url),
          started_at: started,
          finished_at: finished,
          workflow: event === 'workflow_run' ? workflowFile(str(run.path)) : null,
          ref: str(run.head_branch) ?? str(at(run, 'check_suite.head_branch')),
        },
      });
      break;
    }
    case 'status': {
      // A commit status: how CI systems without check runs (Jenkins, CircleCI…) report a check.
      const id = str(payload.id);
      const context = str(payload.context);
      if (!id) throw new InvalidEventError('/id', 'required');
      if (!context) throw new InvalidEventError('/context', 'required');
      const state = str(payload.state) ?? 'pending';
      const done = state !== 'pending';
      const created = iso(payload.created_at);
      const updated = iso(payload.updated_at) ?? created;
      facts.push({
        table: 'builds',
        rank: rankOf(updated, done ? 2 : 1, key),
        row: {
          id: githubIds.commitStatus(id),
          repo: needRepo(),
          kind: 'check',
          name: context,
          commit_sha: sha(payload.sha),
          status: done ? 'completed' : 'in_progress',
          conclusion: done ? state : null,
          url: str(payload.target_url),
          started_at: created,
          finished_at: done ? updated : null,
          workflow: null,
          ref: null,
        },
      });
      break;
    }
    case 'push': {
      const commits: unknown[] = Array.isArray(payload.commits) ? payload.commits : [];
      const head = obj(payload.head_commit);
      const all = head ? [...commits, head] : commits;
      const seen = new Set<string>();
      for (const c of all) {
        const commit = obj(c);
        const id = commit ? sha(commit.id) : null;
        if (!commit || !id || seen.has(id)) continue;
        seen.add(id);
        const when = iso(commit.timestamp);
        facts.push({
          table: 'commits',
          rank: rankOf(when, 0, key),
          row: {
            repo: needRepo(),
            sha: id,
            message: str(commit.message, 65536),
            author: str(at(commit, 'author.username')) ?? str(at(commit, 'author.name')),
            at: when,
          },
        });
      }
      break;
    }
    case 'code_scanning_alert': {
      const alert = obj(payload.alert);
      if (!alert) throw new InvalidEventError('/alert', 'required');
      const number = str(alert.number);
      if (!number) throw new InvalidEventError('/alert/number', 'required');
      const rule = obj(alert.rule) ?? {};
      const instance = obj(alert.most_recent_instance);
      const location = instance ? obj(instance.location) : null;
      const revision = sha(instance?.commit_sha) ?? sha(payload.commit_oid);
      const state = str(alert.state) ?? 'open';
      const changedAt = [alert.fixed_at, alert.dismissed_at, alert.updated_at, alert.created_at].map(iso).find((t) => t !== null) ?? null;
      const path = location ? str(location.path) : null;
      facts.push({
        table: 'findings',
        rank: rankOf(changedAt, state === 'open' ? 0 : 1, key),
        row: {
          id: githubIds.codeScanningAlert(needRepo(), number),
          repo: needRepo(),
          kind: 'vulnerability',
          severity: severityOf(rule.security_severity_level) ?? severityOf(rule.severity) ?? 'medium',
          title: str(rule.description) ?? str(rule.id) ?? `code scanning alert ${number}`,
          status: codeScanningStatus(state),
          environment: null,
          service: null,
          artifact_digest: null,
          commit_sha: revision,
          release: null,
          rule_id: str(rule.id),
          tool: str(at(alert, 'tool.name')),
          url: str(alert.html_url),
          detected_at: iso(alert.created_at),
          detail: str(rule.full_description, 65536),
        },
        locations: path
          ? [
              {
                path,
                line: positive(location?.start_line),
                end_line: positive(location?.end_line),
                col: positive(location?.start_column),
                revision,
              },
            ]
          : [],
      });
      break;
    }
    case 'ping':
      break;
  }
  return { key, format: 'github', raw, facts, rawSha256 };
}

/**
 * A GitHub deployment as a fact: with its latest status when the event carries one (deployment_status),
 * else as created (pending); with the Actions run that made it when the event names one.
 */
function deploymentFact(d: Json, repo: string, key: string, runId: string | null, status: Json | null): Fact {
  const id = str(d.id);
  const environment = str(d.environment);
  const createdAt = iso(d.created_at);
  if (!id) throw new InvalidEventError('/deployment/id', 'required');
  if (!environment) throw new InvalidEventError('/deployment/environment', 'required');
  if (!createdAt) throw new InvalidEventError('/deployment/created_at', 'required');
  const state = status ? (str(status.state) ?? 'pending') : 'pending';
  const statusAt = status ? (iso(status.updated_at) ?? iso(status.created_at) ?? createdAt) : createdAt;
  const dPayload = obj(d.payload) ?? {};
  const kindHint = str(dPayload.kind) ?? str(d.task) ?? 'deploy';
  return {
    table: 'deployments',
    rank: rankOf(statusAt, deploymentStatusOrder[state] ?? 0, key),
    row: {
      id: githubIds.deployment(repo, id),
      repo,
      environment,
      service: str(dPayload.service),
      commit_sha: sha(d.sha),
      artifact_digest: payloadDigest(d.payload),
      at: createdAt,
      actor: login(d.creator),
      actor_type: accountType(d.creator),
      // GitHub numbers deployments in the order they were created.
      sequence: int(d.id),
      origin: int(d.id) === null ? null : 'github',
      kind: kindHint.includes('rollback') ? 'rollback' : kindHint.includes('hotfix') ? 'hotfix' : 'deploy',
      status: state in deploymentStatusOrder ? state : 'pending',
      status_at: statusAt,
      reason: str(dPayload.reason) ?? str(d.description),
      url: status ? (str(status.environment_url) ?? str(status.target_url) ?? str(status.log_url)) : null,
      run_id: runId,
      verified_by: null,
    },
  };
}

/** A workflow run's `path`: the file, without the `@ref` newer payloads append. */
function workflowFile(path: string | null): string | null {
  return path ? path.replace(/@.*$/, '') : null;
}

/** A run's, job's or suite's status as a build's; anything not started yet is queued. */
function buildState(status: string | null): 'queued' | 'in_progress' | 'completed' {
  return status === 'completed' ? 'completed' : status === 'in_progress' ? 'in_progress' : 'queued';
}

/** A build report's rank: its time, then how far along it says the build is. */
function buildRank(at: string | null, state: 'queued' | 'in_progress' | 'completed', key: string): string {
  return rankOf(at, state === 'completed' ? 2 : state === 'in_progress' ? 1 : 0, key);
}

function pullRequestFact(pr: Json, fallbackNumber: number | null, repo: string, key: string): Fact {
  const number = int(pr.number) ?? fallbackNumber;
  if (number === null) throw new InvalidEventError('/pull_request/number', 'required');
  const merged = pr.merged === true || (pr.merged_at !== null && pr.merged_at !== undefined);
  const state = merged ? 'merged' : str(pr.state) === 'closed' ? 'closed' : 'open';
  const updatedAt = iso(pr.updated_at);
  const head = sha(at(pr, 'head.sha'));
  const mergeCommit = merged ? sha(pr.merge_commit_sha) : null;
  return {
    table: 'pull_requests',
    rank: rankOf(updatedAt, state === 'open' ? 0 : 1, key),
    row: {
      repo,
      number,
      title: str(pr.title),
      url: str(pr.html_url),
      author: login(pr.user),
      state,
      head_sha: head,
      head_ref: str(at(pr, 'head.ref')),
      base_ref: str(at(pr, 'base.ref')),
      merge_commit: mergeCommit,
      merged_at: iso(pr.merged_at),
      updated_at: updatedAt,
    },
    commits: [head, mergeCommit].filter((c): c is string => c !== null),
  };
}

function positive(v: unknown): number | null {
  const n = int(v);
  return n !== null && n >= 1 ? n : null;
}
