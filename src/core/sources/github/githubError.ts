/**
 * GitHub's failures, kept apart from the client so the code that classifies them (the fall-back
 * rule, the CLI's exit codes) does not load Octokit to do so.
 */
export type GitHubErrorReason =
  'unauthorized' | 'forbidden' | 'notFound' | 'rateLimited' | 'unreachable' | 'invalidResponse' | 'unsupported' | 'failed';

export class GitHubError extends Error {
  constructor(
    readonly reason: GitHubErrorReason,
    message: string,
    /** For `unsupported`: the GraphQL fields the server's schema lacks, as `Type.field`. */
    readonly undefinedFields: string[] = [],
  ) {
    super(message);
    this.name = 'GitHubError';
  }

  static is(e: unknown, reason?: GitHubErrorReason): e is GitHubError {
    return e instanceof GitHubError && (reason === undefined || e.reason === reason);
  }
}
