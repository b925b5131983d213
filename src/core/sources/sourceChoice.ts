/**
 * Which source the engine reads: the traceability service, GitHub or GitLab directly, or git alone
 * (deploy tags). `auto` takes the service when a URL is set, else GitHub or GitLab when the origin
 * remote is on that host and a token is at hand, else git. The choice says why, for the status bar
 * and `doctor`.
 */
import type { Repository } from '../git/repository';
import type { ApiClient } from './apiClient';
import type { GitHubClient } from './github/githubClient';
import type { GitHubSource } from './github/githubSource';
import type { GitLabClient, GitLabToken } from './gitlab/gitlabClient';
import type { GitLabSource } from './gitlab/gitlabSource';
import { DeployTagSource } from './deployTags';
import type { LineageSource } from './lineageSource';

export type SourceSetting = 'auto' | 'service' | 'github' | 'gitlab' | 'git';
export const sourceSettings: SourceSetting[] = ['auto', 'service', 'github', 'gitlab', 'git'];

/** GitLab.com's instance URL, the default for `lineage.gitlab.url`. */
export const defaultGitlabUrl = 'https://gitlab.com';

export interface SourceInputs {
  setting: SourceSetting;
  repo: Repository;
  apiUrl?: string | null;
  apiToken?: string | null;
  /** GitHub's API base URL (GITHUB_API_URL, --github-url, lineage.github.url); github.com by default. */
  githubUrl?: string | null;
  /** Asked for only when GitHub is the source. */
  githubToken?: () => Promise<string | null>;
  /** How to get a GitHub token where this runs, for the error when GitHub is asked for and there is none. */
  githubTokenHelp?: string;
  /** The GitLab instance (--gitlab-url, CI_API_V4_URL, lineage.gitlab.url); gitlab.com by default. */
  gitlabUrl?: string | null;
  /** Asked for only when GitLab is the source; sent only to the GitLab instance. */
  gitlabToken?: () => Promise<GitLabToken | null>;
  gitlabTokenHelp?: string;
}

/**
 * The clients a session keeps across files and commands: one service client per URL and token,
 * one GitHub client and source per API URL and token. GitHub's caches and ETags are what make the
 * second file of a repository cost no request; a new token (another sign-in) starts afresh, so
 * nothing read under the old one is served under the new. The clients' modules (undici, Octokit)
 * load on first use: a git-only answer never pays for them.
 */
export class SourcePool {
  private readonly apis = new Map<string, ApiClient>();
  private readonly githubs = new Map<string, { token: string; client: GitHubClient; source: GitHubSource }>();
  private readonly gitlabs = new Map<string, { token: string; client: GitLabClient; source: GitLabSource }>();

  async api(baseUrl: string, token: string | null): Promise<ApiClient> {
    const key = `${baseUrl}\u0000${token ?? ''}`;
    const hit = this.apis.get(key);
    if (hit) return hit;
    const { ApiClient } = await import('./apiClient');
    // Another caller may have made it while the module loaded.
    const raced = this.apis.get(key);
    if (raced) return raced;
    // One client per URL: a new token replaces the old client.
    for (const [k, old] of this.apis) if (k.startsWith(`${baseUrl}\u0000`)) void old.close().then(() => this.apis.delete(k));
    const client = new ApiClient({ baseUrl, token: token ?? undefined, retries: 1, timeoutMs: 10_000 });
    this.apis.set(key, client);
    return client;
  }

  async github(baseUrl: string, token: string): Promise<{ client: GitHubClient; source: GitHubSource }> {
    const hit = this.githubs.get(baseUrl);
    if (hit && hit.token === token) return hit;
    const [{ GitHubClient }, { GitHubSource }] = await Promise.all([import('./github/githubClient'), import('./github/githubSource')]);
    const raced = this.githubs.get(baseUrl);
    if (raced && raced.token === token) return raced;
    const client = new GitHubClient({ baseUrl, token });
    const entry = { token, client, source: new GitHubSource(client) };
    this.githubs.set(baseUrl, entry);
    return entry;
  }

  async gitlab(url: string, token: GitLabToken): Promise<{ client: GitLabClient; source: GitLabSource }> {
    const tokenKey = `${token.kind}:${token.value}`;
    const hit = this.gitlabs.get(url);
    if (hit && hit.token === tokenKey) return hit;
    const [{ GitLabClient }, { GitLabSource }] = await Promise.all([import('./gitlab/gitlabClient'), import('./gitlab/gitlabSource')]);
    const raced = this.gitlabs.get(url);
    if (raced && raced.token === tokenKey) return raced;
    if (hit) void hit.client.close();
    const client = new GitLabClient({ url, token });
    const entry = { token: tokenKey, client, source: new GitLabSource(client) };
    this.gitlabs.set(url, entry);
    return entry;
  }

  /** Forgets every client (settings or credentials changed), closing the service's connections. */
  async clear(): Promise<void> {
    const apis = [...this.apis.values()];
    const gitlabs = [...this.gitlabs.values()];
    this.apis.clear();
    this.githubs.clear();
    this.gitlabs.clear();
    await Promise.all([...apis.map((a) => a.close()), ...gitlabs.map((g) => g.client.close())]);
  }
}

export interface ChosenSource {
  kind: 'service' | 'github' | 'gitlab' | 'git';
  source: LineageSource;
  why: string;
  /** The GitHub web host a sign-in would add as the source (git was chosen for want of a token). */
  signInTo?: string;
  api?: ApiClient;
  github?: GitHubClient;
  gitlab?: GitLabClient;
}

export class SourceChoiceError extends Error {}

/** The host of the origin remote (https, ssh or scp-like), lower-cased; null without one. */
export async function originHost(repo: Repository): Promise<string | null> {
  const url = (await repo.originUrl()) ?? '';
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)[:/]/i.exec(url);
  return m ? m[1]!.toLowerCase() : null;
}

/** The web host of a GitLab instance URL or API URL (…/api/v4), lower-cased. */
export function gitlabWebHost(url: string): string {
  return new URL(url).hostname.toLowerCase();
}

/**
 * The web host of a GitHub API URL: api.github.com → github.com; https://ghe.corp/api/v3 →
 * ghe.corp; GitHub Enterprise Cloud with data residency, api.acme.ghe.com → acme.ghe.com.
 */
export function githubWebHost(apiUrl: string): string {
  const host = new URL(apiUrl).hostname.toLowerCase();
  if (host === 'api.github.com') return 'github.com';
  return /^api\.[^.]+\.ghe\.com$/.test(host) ? host.slice('api.'.length) : host;
}

/**
 * Why the editor's GitHub Enterprise session may not be used for this API URL, or null when it
 * may. VS Code's `github-enterprise` provider signs in to the server `github-enterprise.uri` names;
 * its token must go to that server only, so a different API host gets no token at all.
 */
export function enterpriseSessionProblem(apiUrl: string, enterpriseUri: string | undefined | null): string | null {
  const want = githubWebHost(apiUrl);
  if (!enterpriseUri) return `"github-enterprise.uri" is not set; set it to https://${want} to sign in to ${want}`;
  let host: string;
  try {
    host = new URL(enterpriseUri).hostname.toLowerCase();
  } catch {
    return `"github-enterprise.uri" (${enterpriseUri.slice(0, 80)}) is not a URL; set it to https://${want}`;
  }
  return host === want
    ? null
    : `"github-enterprise.uri" names ${host} but lineage.github.url is on ${want}: a token for ${host} is not sent to ${want}`;
}

export async function chooseSource(inputs: SourceInputs, pool: SourcePool): Promise<ChosenSource> {
  const githubUrl = inputs.githubUrl || 'https://api.github.com';
  const git = (why: string): ChosenSource => ({ kind: 'git', source: new DeployTagSource(inputs.repo), why });
  const service = async (): Promise<ChosenSource> => {
    const [api, { ServiceSource }] = await Promise.all([pool.api(inputs.apiUrl!, inputs.apiToken ?? null), import('./serviceSource')]);
    return { kind: 'service', source: new ServiceSource(api), why: `the service at ${inputs.apiUrl}`, api };
  };
  const github = async (required: boolean): Promise<ChosenSource | null> => {
    const token = inputs.githubToken ? await inputs.githubToken() : null;
    if (!token) {
      if (required)
        throw new SourceChoiceError(`no GitHub token: ${inputs.githubTokenHelp ?? 'set GITHUB_TOKEN or GH_TOKEN, or run "gh auth login"'}`);
      return null;
    }
    const { client, source } = await pool.github(githubUrl, token);
    return { kind: 'github', source, why: `GitHub at ${new URL(githubUrl).host}`, github: client };
  };
  const gitlabUrl = inputs.gitlabUrl || defaultGitlabUrl;
  const gitlab = async (required: boolean): Promise<ChosenSource | null> => {
    const token = inputs.gitlabToken ? await inputs.gitlabToken() : null;
    if (!token) {
      if (required)
        throw new SourceChoiceError(`no GitLab token: ${inputs.gitlabTokenHelp ?? 'set GITLAB_TOKEN (or CI_JOB_TOKEN in GitLab CI)'}`);
      return null;
    }
    const { client, source } = await pool.gitlab(gitlabUrl, token);
    return { kind: 'gitlab', source, why: `GitLab at ${client.host}`, gitlab: client };
  };
  switch (inputs.setting) {
    case 'service':
      if (!inputs.apiUrl)
        throw new SourceChoiceError('the service is the chosen source but no URL is set (--api, LINEAGE_API_URL or lineage.api.url)');
      return service();
    case 'github':
      return (await github(true))!;
    case 'gitlab':
      return (await gitlab(true))!;
    case 'git':
      return git('git only (deploy tags), as asked');
    default: {
      if (inputs.apiUrl) return service();
      const host = await originHost(inputs.repo);
      if (host && host === githubWebHost(githubUrl)) {
        const chosen = await github(false);
        if (chosen) return chosen;
        return { ...git(`git only: the origin is on ${host} but no GitHub token is available`), signInTo: host };
      }
      if (host && host === gitlabWebHost(gitlabUrl)) {
        const chosen = await gitlab(false);
        if (chosen) return chosen;
        return git(
          `git only: the origin is on ${host} but no GitLab token is available: ${inputs.gitlabTokenHelp ?? 'set GITLAB_TOKEN (or CI_JOB_TOKEN in GitLab CI)'}`,
        );
      }
      return git(
        host
          ? `git only: no service configured and the origin (${host}) is neither ${githubWebHost(githubUrl)} nor ${gitlabWebHost(gitlabUrl)}`
          : 'git only: no service configured and no origin remote',
      );
    }
  }
}
