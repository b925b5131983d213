/**
 * GitLab's failures, kept apart from the client so the code that classifies them (the fall-back
 * rule, the CLI's exit codes) does not load the GitLab client to do so. The reasons are GitHub's:
 * the fall-back rule treats both the same way.
 */
export type GitLabErrorReason = 'unauthorized' | 'forbidden' | 'notFound' | 'rateLimited' | 'unreachable' | 'invalidResponse' | 'failed';

export class GitLabError extends Error {
  constructor(
    readonly reason: GitLabErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'GitLabError';
  }

  static is(e: unknown, reason?: GitLabErrorReason): e is GitLabError {
    return e instanceof GitLabError && (reason === undefined || e.reason === reason);
  }
}
