import { LineageSession } from '../core/session/lineageSession';
import { githubWebHost, sourceSettings, type SourceSetting } from '../core/sources/sourceChoice';
import { cliGithubToken } from './githubToken';
import { UsageError } from './usageError';

/** The flags that choose and reach a source, shared by every command that reads one. */
export const sourceFlags = {
  api: { type: 'string' },
  token: { type: 'string' },
  source: { type: 'string' },
  'github-url': { type: 'string' },
} as const;

/** GitHub's API URL from --github-url, else GITHUB_API_URL (GitHub Actions sets it), else github.com. */
export function cliGithubUrl(values: { 'github-url'?: string }, env: NodeJS.ProcessEnv): string {
  const url = values['github-url'] || env.GITHUB_API_URL || 'https://api.github.com';
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--github-url must be an http(s) URL, got "${url}"`);
  return url;
}

/**
 * The session a command reads through, configured from --source, --api, --token, --github-url and
 * the environment. The command closes it when done.
 */
export function cliSession(
  values: { source?: string; api?: string; token?: string; 'github-url'?: string; 'detect-moves'?: boolean },
  env: NodeJS.ProcessEnv,
): LineageSession {
  const setting = (values.source || env.LINEAGE_SOURCE || 'auto') as SourceSetting;
  if (!sourceSettings.includes(setting)) throw new UsageError(`--source must be one of ${sourceSettings.join(', ')}, got "${setting}"`);
  const githubUrl = cliGithubUrl(values, env);
  const apiToken = values.token ?? env.LINEAGE_TOKEN ?? env.LINEAGE_READ_TOKEN ?? null;
  return new LineageSession(
    { source: setting, apiUrl: values.api ?? env.LINEAGE_API_URL ?? null, githubUrl, detectMoves: values['detect-moves'] ?? false },
    {
      apiToken: () => Promise.resolve(apiToken),
      githubToken: () => cliGithubToken(env, githubWebHost(githubUrl)),
      githubTokenHelp: 'set GITHUB_TOKEN or GH_TOKEN, or run "gh auth login"',
    },
  );
}
