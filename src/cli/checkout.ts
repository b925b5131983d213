import { GitError } from '../core/git/gitRunner';
import { Repository } from '../core/git/repository';
import { UsageError } from './usageError';

/**
 * The git checkout the command runs in; outside one, a usage error (exit 2) rather than a trace.
 * `located`: git's answer to where the repository is, when already asked (Repository.open).
 */
export async function openCheckout(cwd = process.cwd(), located?: Promise<string | null>): Promise<Repository> {
  try {
    return await Repository.open(cwd, undefined, located);
  } catch (e) {
    if (GitError.is(e, 'notARepository')) throw new UsageError(`not a git checkout: ${cwd}`);
    throw e;
  }
}
