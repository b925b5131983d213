/**
 * `lineage sync github [--repo owner/name] [--since DATE] [--api URL]`: backfills the service from
 * GitHub, idempotently and resumably, with progress on standard error.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { githubWebHost } from '../core/sources/sourceChoice';
import { ApiClient } from '../core/sources/apiClient';
import { GitHubClient, GitHubError } from '../core/sources/github/githubClient';
import { syncGithub } from '../core/sources/github/githubSync';
import { RepoSlug } from '../core/model/primitives';
import { terminalSafe } from './blameFormat';
import { openCheckout } from './checkout';
import { cliGithubToken } from './githubToken';
import { cliGithubUrl } from './sourceOption';
import { isTerminal } from './blameFormat';
import { UsageError } from './usageError';

export const syncUsage = `usage: lineage sync github [--repo owner/name] [--since DATE] [--api URL] [--token T] [--github-url URL]

Reads deployments (with their latest status), pull requests with their reviews and the checks of
their heads, and open code-scanning alerts from GitHub and writes them to the service. Running it
again, or after the webhooks delivered part of it, stores nothing twice; an interrupted run
continues where it stopped.`;

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
      since: { type: 'string' },
      api: { type: 'string' },
      token: { type: 'string' },
      'github-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(syncUsage);
    return;
  }
  if (positionals[0] !== 'github' || positionals.length !== 1) throw new UsageError(`sync reads from "github"\n${syncUsage}`);
  const since = values.since ? new Date(values.since) : null;
  if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since must be a date such as 2026-01-01, got "${values.since}"`);
  const apiUrl = values.api ?? env.LINEAGE_API_URL;
  if (!apiUrl) throw new UsageError('sync writes to the service: pass --api URL or set LINEAGE_API_URL');
  const githubUrl = cliGithubUrl(values, env);
  const checkout = values.repo ? null : await openCheckout();
  const repo = values.repo ?? (await checkout!.originSlug());
  if (!repo || !RepoSlug.safeParse(repo).success)
    throw new UsageError('name the repository with --repo owner/name (no origin remote to read it from)');
  if (repo.split('/').length !== 2) throw new UsageError(`a GitHub repository is owner/name, got "${repo}"`);
  const token = await cliGithubToken(env, githubWebHost(githubUrl));
  if (!token) throw new UsageError('no GitHub token: set GITHUB_TOKEN or GH_TOKEN, or run "gh auth login"');
  const github = new GitHubClient({ baseUrl: githubUrl, token });
  const api = new ApiClient({
    baseUrl: apiUrl,
    token: values.token ?? env.LINEAGE_WRITE_TOKEN ?? env.LINEAGE_TOKEN,
    retries: 2,
    timeoutMs: 60_000,
  });
  const stateFile = join(checkout?.root ?? process.cwd(), '.git', `lineage-sync-${repo.replace('/', '__')}.json`);
  const tty = isTerminal(process.stderr);
  try {
    const result = await syncGithub({
      github,
      api,
      repo,
      since,
      stateFile,
      onProgress: (p) => {
        const line = `sync ${repo}: ${p.phase} page ${p.page}, ${p.events} events sent, ${p.stored} new`;
        if (tty) process.stderr.write(`\r${line.padEnd(79)}`);
        else err(line);
      },
    });
    if (tty) process.stderr.write('\n');
    for (const s of new Set(result.skipped)) err(`notice: left out ${terminalSafe(s)}`);
    out(
      `synced ${repo}${result.resumed ? ' (resumed)' : ''}: ${result.events} events sent, ${result.stored} new, ${github.requests} GitHub requests`,
    );
  } catch (e) {
    if (GitHubError.is(e)) throw new UsageError(`${e.message}; run it again to continue where it stopped`);
    throw e;
  } finally {
    await api.close();
  }
}
