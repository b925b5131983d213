import { execFile } from 'node:child_process';

/**
 * A GitHub token for the CLI: GITHUB_TOKEN or GH_TOKEN, else what `gh auth token` prints for the
 * host when the GitHub CLI is installed. Read only when GitHub is the source; never printed.
 */
export async function cliGithubToken(env: NodeJS.ProcessEnv, host: string): Promise<string | null> {
  const fromEnv = env.GITHUB_TOKEN || env.GH_TOKEN;
  if (fromEnv) return fromEnv.trim();
  return new Promise((resolve) => {
    execFile(
      'gh',
      ['auth', 'token', '--hostname', host],
      { timeout: 5000, env: { PATH: env.PATH ?? '', HOME: env.HOME ?? '' } },
      (error, stdout) => {
        resolve(error ? null : stdout.trim() || null);
      },
    );
  });
}
