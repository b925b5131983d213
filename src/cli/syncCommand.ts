/**
 * `lineage sync github [--repo owner/name] [--since DATE] [--api URL]` and `lineage sync gitlab
 * [--project group/name] [--since DATE] [--api URL]`: backfill the service from GitHub or GitLab,
 * idempotently and resumably, with progress on standard error.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { githubWebHost } from '../core/sources/sourceChoice';
import { ApiClient } from '../core/sources/apiClient';
import { GitHubClient, GitHubError } from '../core/sources/github/githubClient';
import { GitLabError } from '../core/sources/gitlab/gitlabError';
import { syncGithub } from '../core/sources/github/githubSync';
import { RepoSlug } from '../core/model/primitives';
import { terminalSafe } from './blameFormat';
import { openCheckout } from './checkout';
import { cliGithubToken } from './githubToken';
import { cliGithubUrl, cliGitlabUrl, cliOriginSlug } from './sourceOption';
import { cliGitlabToken } from './gitlabToken';
import { isTerminal } from './blameFormat';
import { UsageError } from './usageError';

export const syncUsage = `usage: lineage sync github [--repo owner/name] [--since DATE] [--api URL] [--token T] [--github-url URL]
       lineage sync gitlab [--project group/name] [--since DATE] [--api URL] [--token T] [--gitlab-url URL]

github: reads deployments (with their latest status), pull requests with their reviews and the
checks of their heads, and open code-scanning alerts from GitHub.
gitlab: reads deployments (with their approvals), merge requests with each reviewer's latest
approval and the jobs of their heads, and open vulnerabilities from GitLab (GITLAB_TOKEN, or
CI_JOB_TOKEN in GitLab CI).

Both write what they read to the service. Running it again, or after the webhooks delivered part
of it, stores nothing twice; an interrupted run continues where it stopped.`;

export async function runSync(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      repo: { type: 'string' },
      project: { type: 'string' },
      since: { type: 'string' },
      api: { type: 'string' },
      token: { type: 'string' },
      'github-url': { type: 'string' },
      'gitlab-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(syncUsage);
    return;
  }
  const from = positionals[0];
  if ((from !== 'github' && from !== 'gitlab') || positionals.length !== 1)
    throw new UsageError(`sync reads from "github" or "gitlab"\n${syncUsage}`);
  const since = values.since ? new Date(values.since) : null;
  if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since must be a date such as 2026-01-01, got "${values.since}"`);
  const apiUrl = values.api ?? env.LINEAGE_API_URL;
  if (!apiUrl) throw new UsageError('sync writes to the service: pass --api URL or set LINEAGE_API_URL');
  const named = values.project ?? values.repo;
  const checkout = named ? null : await openCheckout();
  const repo = named ?? (await cliOriginSlug(checkout!, values, env));
  if (!repo || !RepoSlug.safeParse(repo).success)
    throw new UsageError(
      `name the ${from === 'gitlab' ? 'project with --project group/name' : 'repository with --repo owner/name'} (no origin remote to read it from)`,
    );
  const api = new ApiClient({
    baseUrl: apiUrl,
    token: values.token ?? env.LINEAGE_WRITE_TOKEN ?? env.LINEAGE_TOKEN,
    retries: 2,
    timeoutMs: 60_000,
  });
  const stateFile = join(
    checkout?.root ?? process.cwd(),
    '.git',
    `lineage-sync-${from === 'gitlab' ? 'gitlab-' : ''}${repo.replaceAll('/', '__')}.json`,
  );
  const tty = isTerminal(process.stderr);
  const onProgress = (p: { phase: string; page: number; events: number; stored: number }) => {
    const line = `sync ${repo}: ${p.phase} page ${p.page}, ${p.events} events sent, ${p.stored} new`;
    if (tty) process.stderr.write(`\r${line.padEnd(79)}`);
    else err(line);
  };
  try {
    let result: { events: number; stored: number; resumed: boolean; skipped: string[] };
    let requests: string;
    if (from === 'github') {
      if (repo.split('/').length !== 2) throw new UsageError(`a GitHub repository is owner/name, got "${repo}"`);
      const githubUrl = cliGithubUrl(values, env);
      const token = await cliGithubToken(env, githubWebHost(githubUrl));
      if (!token) throw new UsageError('no GitHub token: set GITHUB_TOKEN or GH_TOKEN, or run "gh auth login"');
      const github = new GitHubClient({ baseUrl: githubUrl, token });
      result = await syncGithub({ github, api, repo, since, stateFile, onProgress });
      requests = `${github.requests} GitHub requests`;
    } else {
      const instance = cliGitlabUrl(values, env);
      const token = cliGitlabToken(env, instance);
      if (!token) throw new UsageError('no GitLab token: set GITLAB_TOKEN (a token with read_api), or run in GitLab CI (CI_JOB_TOKEN)');
      const [{ GitLabClient }, { syncGitlab }] = await Promise.all([
        import('../core/sources/gitlab/gitlabClient'),
        import('../core/sources/gitlab/gitlabSync'),
      ]);
      const gitlab = new GitLabClient({ url: instance, token });
      try {
        result = await syncGitlab({ gitlab, api, repo, since, stateFile, onProgress });
      } finally {
        await gitlab.close();
      }
      requests = `${gitlab.requests} GitLab requests`;
    }
    if (tty) process.stderr.write('\n');
    for (const s of new Set(result.skipped)) err(`notice: left out ${terminalSafe(s)}`);
    out(`synced ${repo}${result.resumed ? ' (resumed)' : ''}: ${result.events} events sent, ${result.stored} new, ${requests}`);
  } catch (e) {
    if (GitHubError.is(e) || GitLabError.is(e)) throw new UsageError(`${e.message}; run it again to continue where it stopped`);
    throw e;
  } finally {
    await api.close();
  }
}
