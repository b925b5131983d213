/**
 * The one rule for a source that fails while lineage is computed: the answer falls back to git
 * alone, with a notice saying why. A failure the user must fix (a refused token, an address that
 * does not answer as the API does, a request the source rejects) is marked as such, so the CLI can
 * exit with a usage error while the editor shows the notice; a passing one (unreachable, timed
 * out, rate-limited, a server error) is a notice only.
 */
import { ApiError } from '../sources/apiError';
import { GitHubError } from '../sources/github/githubError';
import { GitLabError } from '../sources/gitlab/gitlabError';
import { SourceChoiceError } from '../sources/sourceChoice';

export interface SourceFailure {
  /** The user must change something (token, URL, version) before the source can answer. */
  needsFix: boolean;
  message: string;
  /** What the editor and the CLI show beside the git-only answer. */
  notice: string;
}

const needsFix = new Set(['unauthorized', 'forbidden', 'invalidResponse', 'rejected']);

/** The failure a source's error stands for, or null when the error is not a source's (a bug, git). */
export function sourceFailure(e: unknown): SourceFailure | null {
  // A setting that cannot be met (the service chosen without a URL, GitHub without a token).
  if (e instanceof SourceChoiceError) return { needsFix: true, message: e.message, notice: `${e.message}; showing git only` };
  if (ApiError.is(e)) return { needsFix: needsFix.has(e.reason), message: e.message, notice: `${e.message}; showing git only` };
  if (GitHubError.is(e)) return { needsFix: needsFix.has(e.reason), message: e.message, notice: `GitHub: ${e.message}; showing git only` };
  if (GitLabError.is(e)) return { needsFix: needsFix.has(e.reason), message: e.message, notice: `GitLab: ${e.message}; showing git only` };
  return null;
}
