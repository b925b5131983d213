/**
 * `lineage sync gitlab`: a GitLab project's history (deployments with their approvals, merge
 * requests with each reviewer's latest approval on the head it was given on, the jobs of their
 * heads, open vulnerabilities) written to the service as native events.
 *
 * Idempotent: event ids are derived from what GitLab identifies a thing by at a given state (a
 * deployment at its status, a merge request at its update time, a note), so a second run stores
 * nothing new; every row carries the id the webhook reader gives it (gitlabIds), so a run after
 * the webhooks delivered part of the history adds no second copy. Resumable: after each page the
 * phase and page are saved, and an interrupted run continues from there. Lists are read oldest
 * first, so a page already sent keeps its place while new things arrive.
 */
import { rmSync } from 'node:fs';
import { z } from 'zod';
import { readSyncState, writeSyncState } from '../syncState';
import type { ApiClient } from '../apiClient';
import type { Deployment, Finding } from '../../model/domain';
import { buildEvent, defined, findingEvent } from '../syncEvents';
import { GitLabError, type GitLabClient } from './gitlabClient';
import { commitChecks, notesQueryRefused, readMergeRequest, systemNotesOf } from './gitlabReads';
import {
  firstVulnerabilityPage,
  RestDeployment,
  RestMergeRequest,
  type RestNote,
  toGitlabDeployment,
  vulnerabilityFinding,
  vulnerabilityPage,
} from './gitlabMappings';

const phases = ['deployments', 'mergeRequests', 'vulnerabilities'] as const;
type Phase = (typeof phases)[number];

interface SyncState {
  phase: Phase;
  page: number;
  sent: number;
  /** The GraphQL cursor of the vulnerabilities phase. */
  cursor?: string | null;
}

export interface GitlabSyncProgress {
  phase: Phase;
  page: number;
  events: number;
  stored: number;
}

export interface GitlabSyncOptions {
  gitlab: GitLabClient;
  api: ApiClient;
  /** The project's full path. */
  repo: string;
  since?: Date | null;
  stateFile: string;
  onProgress?: (p: GitlabSyncProgress) => void;
}

const perPage = 100;

export async function syncGitlab(
  options: GitlabSyncOptions,
): Promise<{ events: number; stored: number; resumed: boolean; skipped: string[] }> {
  const { gitlab, api, repo } = options;
  const saved = readSyncState(options.stateFile, phases) as SyncState | null;
  let state: SyncState = saved ?? { phase: 'deployments', page: 1, sent: 0 };
  let stored = 0;
  const skipped: string[] = [];
  // The page's merge requests' system notes in one GraphQL query; where the instance refuses it,
  // each one's through REST for the rest of the run.
  let notesByGraphql = true;
  const notesOf = async (iids: number[]) => {
    if (!notesByGraphql || iids.length < 2) return new Map<number, RestNote[]>();
    return systemNotesOf(gitlab, repo, iids).catch((e: unknown) => {
      if (notesQueryRefused(e)) notesByGraphql = false;
      return new Map<number, RestNote[]>();
    });
  };
  const since = options.since?.toISOString();
  let pageSize = firstVulnerabilityPage;
  const send = async (events: object[]) => {
    for (let i = 0; i < events.length; i += 500) {
      const result = await api.ingest('events', JSON.stringify(events.slice(i, i + 500)));
      stored += result.events.filter((e) => e.status === 'stored').length;
    }
    state.sent += events.length;
  };
  for (let p = phases.indexOf(state.phase); p < phases.length; p++) {
    const phase = phases[p]!;
    if (state.phase !== phase) state = { phase, page: 1, sent: state.sent };
    for (;;) {
      const events: object[] = [];
      let more: boolean;
      if (phase === 'deployments') {
        const page = await gitlab.read(
          'deployments',
          (x) =>
            x.Deployments.all(repo, {
              orderBy: 'id',
              sort: 'asc',
              page: state.page,
              perPage,
              maxPages: 1,
              ...(since ? { updatedAfter: since } : {}),
            } as never),
          z.array(RestDeployment),
        );
        for (const raw of page) {
          // The list leaves approvals out: a deployment that waited for them is read on its own.
          const full =
            raw.status === 'success' || raw.status === 'blocked'
              ? await gitlab
                  .read(`deployment ${raw.id}`, (x) => x.Deployments.show(repo, raw.id), RestDeployment)
                  .catch((e: unknown) => unavailable(e, skipped, 'deployment approvals', raw))
              : raw;
          events.push(...deploymentEvents(repo, toGitlabDeployment(repo, full)));
        }
        more = page.length === perPage;
      } else if (phase === 'mergeRequests') {
        const page = await gitlab.read(
          'merge requests',
          (x) =>
            x.MergeRequests.all({
              projectId: repo,
              state: 'all',
              orderBy: 'updated_at',
              sort: 'asc',
              page: state.page,
              perPage,
              maxPages: 1,
              ...(since ? { updatedAfter: since } : {}),
            } as never),
          z.array(RestMergeRequest),
        );
        const notes = await notesOf(page.map((mr) => mr.iid));
        for (const mr of page) events.push(...(await mergeRequestEvents(gitlab, repo, mr, notes.get(mr.iid))));
        more = page.length === perPage;
      } else {
        let findings: Finding[] = [];
        let cursor: string | null = null;
        try {
          const { answer, size } = await vulnerabilityPage(gitlab, repo, state.cursor ?? null, pageSize);
          pageSize = size;
          const list = answer.project?.vulnerabilities;
          if (!list)
            skipped.push('vulnerabilities: the project has no vulnerability report (GitLab Ultimate) or the token may not read it');
          else {
            findings = list.nodes.map((v) => vulnerabilityFinding(repo, v));
            cursor = list.pageInfo.hasNextPage ? list.pageInfo.endCursor : null;
          }
        } catch (e) {
          if (!GitLabError.is(e, 'forbidden') && !GitLabError.is(e, 'failed')) throw e;
          skipped.push(`vulnerabilities: ${e.message}`);
        }
        events.push(...findings.map((f) => findingEvent(f, `${f.eventKey}:${f.status}`)));
        state.cursor = cursor;
        more = cursor !== null;
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

/** A feature the tier or token lacks costs that part (said once), not the run. */
function unavailable<T>(e: unknown, skipped: string[], what: string, fallback: T): T {
  if (!GitLabError.is(e, 'forbidden') && !GitLabError.is(e, 'notFound')) throw e;
  if (!skipped.some((s) => s.startsWith(`${what}:`))) skipped.push(`${what}: ${e.message}`);
  return fallback;
}

function deploymentEvents(repo: string, d: Deployment): object[] {
  const deployment = defined({
    type: 'deployment',
    id: `${d.eventKey}:${d.status}:${d.at}`,
    repo,
    deploymentId: d.id,
    environment: d.environment,
    commit: d.commit,
    at: d.at,
    actor: d.actor,
    sequence: d.sequence,
    origin: 'gitlab',
    kind: d.kind,
    status: d.status,
    url: d.url,
  });
  const approvals = d.approvals.map((a) =>
    defined({
      type: 'approval',
      id: `${a.id}:${a.state}`,
      repo,
      approvalId: a.id,
      deploymentId: d.id,
      environment: d.environment,
      approver: a.approver,
      state: a.state,
      comment: a.comment,
      at: a.at,
    }),
  );
  return [deployment, ...approvals];
}

/** A merge request, each reviewer's latest decision (from `systemNotes` where read already), and the jobs of its head (for the blocking-check rule). */
async function mergeRequestEvents(
  gitlab: GitLabClient,
  repo: string,
  mr: z.infer<typeof RestMergeRequest>,
  systemNotes: RestNote[] | undefined,
): Promise<object[]> {
  const pr = await readMergeRequest(gitlab, repo, mr, systemNotes);
  const events: object[] = [
    defined({
      type: 'pull_request',
      id: `gitlab:merge_request:${mr.iid}:${mr.updated_at ?? ''}`,
      repo,
      number: pr.number,
      title: pr.title,
      url: pr.url,
      author: pr.author,
      state: pr.state,
      headSha: pr.headSha,
      headRef: pr.headRef,
      baseRef: pr.baseRef,
      mergeCommit: pr.mergeCommit,
      mergedAt: pr.mergeCommit ? pr.mergedAt : null,
      updatedAt: pr.updatedAt,
    }),
    ...pr.reviews.map((r) =>
      defined({
        type: 'review',
        id: `${r.eventKey}:${r.state}`,
        repo,
        reviewId: r.id,
        pullRequest: pr.number,
        reviewer: r.reviewer,
        state: r.state,
        commit: r.commit,
        at: r.at,
      }),
    ),
  ];
  if (pr.headSha && (pr.state === 'open' || pr.mergeCommit)) {
    events.push(...(await commitChecks(gitlab, repo, pr.headSha)).map((b) => buildEvent(repo, b)));
  }
  return events;
}
