import { LineageSession } from '../core/session/lineageSession';
import type { Repository } from '../core/git/repository';
import { gitlabInstance } from '../core/sources/gitlab/gitlabInstance';
import { defaultGitlabUrl, githubWebHost, sourceSettings, type SourceSetting } from '../core/sources/sourceChoice';
import { cliGithubToken } from './githubToken';
import { cliGitlabToken } from './gitlabToken';
import { UsageError } from './usageError';

export { sourceFlags } from './sourceFlags';

/**
 * The GitLab instance from --gitlab-url, else LINEAGE_GITLAB_URL, else the instance of the GitLab CI
 * job this runs in (CI_API_V4_URL, CI_SERVER_URL), else gitlab.com. An API URL (…/api/v4) names its instance.
 */
export function cliGitlabUrl(values: { 'gitlab-url'?: string }, env: NodeJS.ProcessEnv): string {
  const url = values['gitlab-url'] || env.LINEAGE_GITLAB_URL || env.CI_API_V4_URL || env.CI_SERVER_URL || defaultGitlabUrl;
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--gitlab-url must be an http(s) URL, got "${url}"`);
  return gitlabInstance(url);
}

/** The repository's slug from its origin remote: a GitLab project's full path on the configured instance. */
export function cliOriginSlug(repo: Repository, values: { 'gitlab-url'?: string }, env: NodeJS.ProcessEnv): Promise<string | null> {
  return repo.originSlug(cliGitlabUrl(values, env));
}

/** GitHub's API URL from --github-url, else GITHUB_API_URL (GitHub Actions sets it), else github.com. */
export function cliGithubUrl(values: { 'github-url'?: string }, env: NodeJS.ProcessEnv): string {
  const url = values['github-url'] || env.GITHUB_API_URL || 'https://api.github.com';
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--github-url must be an http(s) URL, got "${url}"`);
  return url;
}

/**
 * The session a command reads through, configured from --source, --api, --token, --github-url,
 * --gitlab-url and the environment. The command closes it when done.
 */
export function cliSession(
  values: { source?: string; api?: string; token?: string; 'github-url'?: string; 'gitlab-url'?: string; 'detect-moves'?: boolean },
  env: NodeJS.ProcessEnv,
): LineageSession {
  const setting = (values.source || env.LINEAGE_SOURCE || 'auto') as SourceSetting;
  if (!sourceSettings.includes(setting)) throw new UsageError(`--source must be one of ${sourceSettings.join(', ')}, got "${setting}"`);
  const githubUrl = cliGithubUrl(values, env);
  const gitlabUrl = cliGitlabUrl(values, env);
  const apiToken = values.token ?? env.LINEAGE_TOKEN ?? env.LINEAGE_READ_TOKEN ?? null;
  return new LineageSession(
    {
      source: setting,
      apiUrl: values.api ?? env.LINEAGE_API_URL ?? null,
      githubUrl,
      gitlabUrl,
      detectMoves: values['detect-moves'] ?? false,
    },
    {
      apiToken: () => Promise.resolve(apiToken),
      githubToken: () => cliGithubToken(env, githubWebHost(githubUrl)),
      githubTokenHelp: 'set GITHUB_TOKEN or GH_TOKEN, or run "gh auth login"',
      gitlabToken: () => Promise.resolve(cliGitlabToken(env, gitlabUrl)),
      gitlabTokenHelp: 'set GITLAB_TOKEN (a token with read_api), or run in GitLab CI (CI_JOB_TOKEN)',
    },
  );
}
