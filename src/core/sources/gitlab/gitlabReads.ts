/**
 * Reads that direct mode and `lineage sync gitlab` make alike: a merge request with each
 * reviewer's latest decision (the system notes of many at once where GitLab's GraphQL answers),
 * and the checks of a commit.
 */
import { z } from 'zod';
import type { PullRequestWithReviews } from '../../model/api';
import type { Build } from '../../model/domain';
import type { GitLabClient } from './gitlabClient';
import { GitLabError } from './gitlabError';
import {
  mergeRequestReviews,
  noteReviewState,
  RestCommitStatus,
  type RestMergeRequest,
  RestNote,
  RestVersion,
  statusBuild,
  toGitlabPullRequest,
} from './gitlabMappings';

/**
 * A merge request with its reviews: its system notes, and its diff versions, which say which head
 * each approval was given on. The versions are read only when a push may have come after an
 * approval; otherwise every approval covers today's head.
 */
export async function readMergeRequest(
  client: GitLabClient,
  repo: string,
  mr: RestMergeRequest,
  systemNotes?: RestNote[],
): Promise<PullRequestWithReviews> {
  const restNotes = () =>
    client.read(
      `notes of !${mr.iid}`,
      (api) => api.MergeRequestNotes.all(repo, mr.iid, { sort: 'asc', orderBy: 'created_at', perPage: 100, maxPages: 10 } as never),
      z.array(RestNote),
    );
  let notes = systemNotes ?? (await restNotes());
  const versions = pushedAfterApproval(notes)
    ? await client.read(`versions of !${mr.iid}`, (api) => api.MergeRequests.allDiffVersions(repo, mr.iid), z.array(RestVersion))
    : mr.sha
      ? [{ id: 0, head_commit_sha: mr.sha, created_at: '' }]
      : [];
  // GraphQL gives a note's time to the second, REST to the millisecond: a push in the same second
  // as an approval is ordered by REST's times.
  if (systemNotes && sameSecond(notes, versions)) notes = await restNotes();
  return toGitlabPullRequest(repo, mr, mergeRequestReviews(repo, mr.iid, notes, versions, mr.sha ?? null));
}

function sameSecond(notes: RestNote[], versions: { created_at: string }[]): boolean {
  const second = (at: string) => Math.floor(Date.parse(at) / 1000);
  const approvals = new Set(notes.filter((n) => n.system && noteReviewState(n.body) !== null).map((n) => second(n.created_at)));
  return versions.some((v) => approvals.has(second(v.created_at)));
}

/** Merge requests whose system notes one query reads: GitLab's GraphQL pages a connection at 100. */
export const notesPerQuery = 100;

const notesQuery = `query LineageMergeRequestNotes($fullPath: ID!, $iids: [String!], $first: Int!) {
  project(fullPath: $fullPath) {
    mergeRequests(iids: $iids, first: $first) {
      nodes {
        iid
        notes(filter: ONLY_ACTIVITY, first: 100) {
          pageInfo { hasNextPage }
          nodes { id body system createdAt author { username } }
        }
      }
    }
  }
}`;

const GqlMergeRequestNotes = z.object({
  project: z
    .object({
      mergeRequests: z.object({
        nodes: z.array(
          z
            .object({
              iid: z.string(),
              notes: z.object({
                pageInfo: z.object({ hasNextPage: z.boolean() }),
                nodes: z.array(
                  z.object({
                    id: z.string(),
                    body: z.string(),
                    system: z.boolean(),
                    createdAt: z.string(),
                    author: z.object({ username: z.string() }).nullable().optional(),
                  }),
                ),
              }),
            })
            .nullable(),
        ),
      }),
    })
    .nullable(),
});

/**
 * The system notes (approvals, pushes) of up to `notesPerQuery` merge requests in one GraphQL
 * query, where REST reads them one merge request at a time; as REST notes, so that the reviews are
 * made from them exactly as from REST's. A merge request missing from the answer, with more than
 * 100 such notes, or with a note whose id is not GitLab's, is left out: the caller reads it
 * through REST.
 */
export async function systemNotesOf(client: GitLabClient, fullPath: string, iids: number[]): Promise<Map<number, RestNote[]>> {
  const answer = await client.graphql(
    notesQuery,
    { fullPath, iids: iids.map(String), first: Math.min(iids.length, notesPerQuery) },
    GqlMergeRequestNotes,
  );
  const found = new Map<number, RestNote[]>();
  for (const mr of answer.project?.mergeRequests.nodes ?? []) {
    if (!mr || mr.notes.pageInfo.hasNextPage) continue;
    const notes = mr.notes.nodes.map((n) => {
      const id = /\/(\d+)$/.exec(n.id);
      const at = Date.parse(n.createdAt);
      return id && !Number.isNaN(at)
        ? { id: Number(id[1]), body: n.body, system: n.system, created_at: new Date(at).toISOString(), author: n.author ?? null }
        : null;
    });
    if (notes.every((n) => n !== null)) found.set(Number(mr.iid), notes);
  }
  return found;
}

/**
 * Whether a failed notes query says the instance will not answer it (an older GitLab, a job token,
 * an answer of another shape), so REST is used from then on; not for a rate limit or an outage.
 */
export function notesQueryRefused(e: unknown): boolean {
  return GitLabError.is(e) && e.reason !== 'rateLimited' && e.reason !== 'unreachable';
}

/** The jobs (and external statuses) of one commit, as checks: what `check`'s blocking-check rule reads. */
export async function commitChecks(client: GitLabClient, repo: string, commit: string): Promise<Build[]> {
  const statuses = await client.read(
    `statuses of ${commit.slice(0, 12)}`,
    (api) => api.Commits.allStatuses(repo, commit, { all: true, perPage: 100, maxPages: 5 } as never),
    z.array(RestCommitStatus),
  );
  return statuses.map((s) => statusBuild(repo, commit, s));
}

/**
 * Whether a push may have come after an approval: a system note after the first approval that
 * speaks of commits, a push or a rebase ("added 2 commits", "force-pushed", "rebased"). A note
 * that only mentions the merge request from a commit ("mentioned in commit …") is not one.
 * Erring towards yes costs one request; erring towards no would call a stale approval current.
 */
export function pushedAfterApproval(notes: { body: string; created_at: string; system: boolean }[]): boolean {
  const approvals = notes.filter((n) => n.system && noteReviewState(n.body) !== null).map((n) => n.created_at);
  if (!approvals.length) return false;
  const first = approvals.sort()[0]!;
  return notes.some(
    (n) =>
      n.system &&
      n.created_at >= first &&
      noteReviewState(n.body) === null &&
      /commit|push|rebase/i.test(n.body) &&
      !/^\s*mentioned in /i.test(n.body),
  );
}
