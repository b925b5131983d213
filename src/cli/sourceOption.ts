import type { Repository } from '../core/git/repository';
import { chooseSource, githubWebHost, SourceChoiceError, sourceSettings, type ChosenSource, type SourceSetting } from '../core/sources/sourceChoice';
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

/** The source a command reads, from --source, --api, --token, --github-url and the environment. */
export async function chooseCliSource(
  values: { source?: string; api?: string; token?: string; 'github-url'?: string },
  env: NodeJS.ProcessEnv,
  repo: Repository,
): Promise<ChosenSource> {
  const setting = (values.source || env.LINEAGE_SOURCE || 'auto') as SourceSetting;
  if (!sourceSettings.includes(setting)) throw new UsageError(`--source must be one of ${sourceSettings.join(', ')}, got "${setting}"`);
  const githubUrl = cliGithubUrl(values, env);
  try {
    return await chooseSource({
      setting,
      repo,
      apiUrl: values.api ?? env.LINEAGE_API_URL,
      apiToken: values.token ?? env.LINEAGE_TOKEN ?? env.LINEAGE_READ_TOKEN,
      githubUrl,
      githubToken: () => cliGithubToken(env, githubWebHost(githubUrl)),
    });
  } catch (e) {
    if (e instanceof SourceChoiceError) throw new UsageError(e.message);
    throw e;
  }
}
