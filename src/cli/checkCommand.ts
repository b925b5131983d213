/**
 * `lineage check`: evaluates the branch (commits from base to head) against the repository's
 * approval policy, with data from git and the service. Exit 1 when a blocking rule fails, 0
 * otherwise, 2 on bad input: a CI gate.
 */
import { parseArgs } from 'node:util';
import { GitError } from '../core/git/gitRunner';
import { defaultBase } from '../core/policy/branchGit';
import { PolicyError } from '../core/policy/policy';
import { sourceFailure } from '../core/session/sourceFailure';
import { terminalSafe } from './blameFormat';
import { openCheckout } from './checkout';
import { cliOriginSlug, cliSession, sourceFlags } from './sourceOption';
import { UsageError } from './usageError';

export const checkUsage = `usage: lineage check [--base <ref>] [--head <ref>] [--json] [--api URL] [--token T] [--repo owner/name] [--source auto|service|github|git] [--github-url URL]

Evaluates the commits from base (default origin/HEAD, origin/main, main or master) to head
(default HEAD) against the .lineage/policy.yaml (or .json) committed on the base: a branch's own change to the
policy applies after it merges, and is itself reported (rule policy-changed-in-branch). Exit code 1 when a blocking rule fails,
0 otherwise, 2 on bad input.`;

export async function runCheck(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...sourceFlags,
      base: { type: 'string' },
      head: { type: 'string' },
      json: { type: 'boolean' },
      repo: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(checkUsage);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`check takes no arguments (got "${positionals[0]}")\n${checkUsage}`);
  const repo = await openCheckout();
  const slug = values.repo ?? (await cliOriginSlug(repo, values, env));
  const session = cliSession(values, env);
  try {
    const chosen = await session.source(repo);
    if (chosen.kind === 'git') err(`lineage: notice: ${chosen.why}: pull requests, reviews and checks are unknown; only git rules apply`);
    let base = values.base;
    if (base === undefined) {
      try {
        base = await defaultBase(repo);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const branchName = await repo.branch();
    const result = await session.check({ repo, source: chosen, slug, base, head: values.head ?? 'HEAD', branchName });
    const policyName = `${result.policy.file ?? 'defaults'} at ${base} (${result.policy.commit.slice(0, 7)})`;
    const blocking = result.violations.filter((v) => v.severity === 'blocking');
    if (values.json) {
      out(
        JSON.stringify(
          { ...result, policy: result.policy.file ?? 'defaults', policyCommit: result.policy.commit, passed: blocking.length === 0 },
          null,
          2,
        ),
      );
    } else if (result.nothingToCheck) {
      out(`nothing to check: ${result.head} (${result.headSha.slice(0, 7)}) has no commits that ${result.base} lacks`);
    } else {
      out(
        `${result.commits} commit${result.commits === 1 ? '' : 's'} ${result.base}..${result.head} (${result.headSha.slice(0, 7)}), policy: ${policyName}`,
      );
      out(
        result.pullRequest
          ? `pull request #${result.pullRequest.number}${result.pullRequest.url ? ` ${terminalSafe(result.pullRequest.url)}` : ''}, ${result.pullRequest.reviews} review(s)`
          : 'no pull request found for the head commit',
      );
      for (const d of result.deployments) {
        const undone = d.rolledBack
          ? `, then rolled back by ${terminalSafe(d.rolledBack.by)} after ${d.rolledBack.afterMinutes} min`
          : d.undid
            ? `, undoing ${terminalSafe(d.undid)}`
            : '';
        out(`deployed: ${terminalSafe(d.environment)} ${terminalSafe(d.id)} (${d.kind}, ${d.at})${undone}`);
      }
      for (const v of result.violations)
        out(`${v.severity === 'blocking' ? 'BLOCKING' : 'info    '} ${v.rule}: ${terminalSafe(v.message)}`);
      out(
        blocking.length > 0
          ? `${blocking.length} blocking violation(s)`
          : result.violations.length > 0
            ? 'passed (informational findings only)'
            : 'passed',
      );
    }
    return blocking.length > 0 ? 1 : 0;
  } catch (e) {
    if (GitError.is(e, 'badRevision')) throw new UsageError(e.message);
    if (e instanceof PolicyError) throw new UsageError(e.message);
    // A gate that cannot read its source fails loudly rather than passing on git alone.
    const failure = sourceFailure(e);
    if (failure) throw new UsageError(failure.message);
    throw e;
  } finally {
    await session.close();
  }
}
