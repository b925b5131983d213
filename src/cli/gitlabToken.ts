import type { GitLabToken } from '../core/sources/gitlab/gitlabClient';

/**
 * A GitLab token for the CLI: GITLAB_TOKEN (a personal, project or group access token), else in
 * GitLab CI the job's CI_JOB_TOKEN, and that one only for the instance that ran the job
 * (CI_SERVER_URL): a job's token is never sent to another GitLab. Never printed.
 */
export function cliGitlabToken(env: NodeJS.ProcessEnv, instance: string): GitLabToken | null {
  const personal = env.GITLAB_TOKEN?.trim();
  if (personal) return { kind: 'private', value: personal };
  const job = env.CI_JOB_TOKEN?.trim();
  if (!job) return null;
  const server = env.CI_SERVER_URL ?? env.CI_API_V4_URL;
  if (server && !sameOrigin(server, instance)) return null;
  return { kind: 'job', value: job };
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
