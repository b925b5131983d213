/**
 * Reads that direct mode and `lineage sync gitlab` make alike: a merge request with each
 * reviewer's latest decision, and the checks of a commit.
 */
import { z } from 'zod';
import type { PullRequestWithReviews } from '../../model/api';
import type { Build } from '../../model/domain';
import type { GitLabClient } from './gitlabClient';
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
export async function readMergeRequest(client: GitLabClient, repo: string, mr: RestMergeRequest): Promise<PullRequestWithReviews> {
  const notes = await client.read(
    `notes of !${mr.iid}`,
    (api) => api.MergeRequestNotes.all(repo, mr.iid, { sort: 'asc', orderBy: 'created_at', perPage: 100, maxPages: 10 } as never),
    z.array(RestNote),
  );
  const versions = pushedAfterApproval(notes)
    ? await client.read(`versions of !${mr.iid}`, (api) => api.MergeRequests.allDiffVersions(repo, mr.iid), z.array(RestVersion))
    : mr.sha
      ? [{ id: 0, head_commit_sha: mr.sha, created_at: '' }]
      : [];
  return toGitlabPullRequest(repo, mr, mergeRequestReviews(repo, mr.iid, notes, versions, mr.sha ?? null));
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
