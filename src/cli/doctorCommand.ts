/**
 * `lineage doctor`: which source is in use and why, whether it can be reached, which token is
 * used (where it came from, never its value), how much rate limit is left, and for each failing
 * check how to fix it. Exit 0 when every check passes, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { GitHubError, type GitHubClient } from '../core/sources/github/githubClient';
import { RateLimit } from '../core/sources/github/githubMappings';
import { githubWebHost, originHost } from '../core/sources/sourceChoice';
import { ApiError } from '../core/sources/apiError';
import { openCheckout } from './checkout';
import { cloneCheck, sourceDataCheck, type DoctorCheck } from './doctorChecks';
import { cliGithubUrl, cliOriginSlug, cliSession, sourceFlags } from './sourceOption';

const RepositoryAccess = z.object({
  full_name: z.string(),
  private: z.boolean().optional(),
  visibility: z.string().optional(),
  default_branch: z.string().optional(),
  permissions: z.object({ admin: z.boolean().optional(), push: z.boolean().optional(), pull: z.boolean().optional() }).optional(),
});

export const doctorUsage = `usage: lineage doctor [--json] [--api URL] [--token T] [--source auto|service|github|gitlab|git]
                     [--github-url URL] [--gitlab-url URL]

Checks, in the git checkout of the current directory: the repository's name, whether the clone
holds the whole history (not shallow, not partial), the source in use and
why, whether it answers, which token is used (where it came from, never its value), the rate limit
left, and what the source can read. Exit 0 when every check passes, 1 otherwise.`;

export async function runDoctor(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...sourceFlags },
    strict: true,
  });
  if (values.help) {
    out(doctorUsage);
    return 0;
  }
  const checks: DoctorCheck[] = [];
  const repo = await openCheckout();
  const slug = await cliOriginSlug(repo, values, env);
  const host = await originHost(repo);
  checks.push(
    slug
      ? { name: 'repository', ok: true, detail: `${slug} (origin on ${host})` }
      : {
          name: 'repository',
          ok: false,
          detail: 'no origin remote to name the repository by',
          fix: 'git remote add origin <url>, or pass --repo owner/name to the commands',
        },
  );
  checks.push(await cloneCheck(repo));
  const session = cliSession(values, env);
  try {
    const chosen = await session.source(repo);
    checks.push({ name: 'source', ok: true, detail: `${chosen.kind}: ${chosen.why}` });
    if (chosen.api) {
      try {
        const health = await chosen.api.health();
        checks.push({ name: 'service', ok: true, detail: `version ${health.version}, ${health.events} events, ${health.store} store` });
      } catch (e) {
        checks.push({
          name: 'service',
          ok: false,
          detail: ApiError.is(e) ? e.message : String(e),
          fix: 'start it with "lineage serve", or check LINEAGE_API_URL and the read token (LINEAGE_TOKEN)',
        });
      }
    }
    if (chosen.github) {
      const githubUrl = cliGithubUrl(values, env);
      const tokenFrom = env.GITHUB_TOKEN
        ? 'GITHUB_TOKEN'
        : env.GH_TOKEN
          ? 'GH_TOKEN'
          : `gh auth token --hostname ${githubWebHost(githubUrl)}`;
      checks.push({ name: 'github token', ok: true, detail: `from ${tokenFrom} (sent only to ${new URL(githubUrl).host})` });
      try {
        const limits = await chosen.github.get('/rate_limit', {}, RateLimit);
        const core = limits.resources.core;
        checks.push({
          name: 'github',
          ok: core.remaining > 0,
          detail: `reachable; rate limit ${core.remaining}/${core.limit} left (GraphQL ${limits.resources.graphql?.remaining ?? '?'}), resets ${new Date(core.reset * 1000).toISOString()}`,
          fix: core.remaining > 0 ? undefined : 'wait for the reset, or use a token with a higher limit',
        });
      } catch (e) {
        checks.push({
          name: 'github',
          ok: false,
          detail: GitHubError.is(e) ? e.message : String(e),
          fix: GitHubError.is(e, 'unauthorized')
            ? 'refresh the token: "gh auth login", or a new GITHUB_TOKEN with repo scope'
            : 'check --github-url / GITHUB_API_URL and the network',
        });
      }
      if (slug)
        checks.push(
          await repositoryAccess(chosen.github, slug),
          await sourceDataCheck(chosen.source, slug, 'github', 'code-scanning alerts'),
        );
    }
    if (chosen.gitlab) {
      const { gitlabChecks } = await import('./doctorGitlab');
      checks.push(...(await gitlabChecks(chosen.gitlab, chosen.source, slug, env)));
    }
    if (chosen.kind === 'git') {
      const tags = (await repo.run(['tag', '--list', 'deploy/*']).catch(() => '')).split('\n').filter(Boolean).length;
      checks.push({
        name: 'deploy tags',
        ok: true,
        detail: `${tags} deploy/<environment>/<time> tag(s)${tags === 0 ? '; record one with "lineage record-deploy <environment>"' : ''}`,
      });
    }
  } finally {
    await session.close();
  }
  if (values.json) out(JSON.stringify({ checks, ok: checks.every((c) => c.ok) }, null, 2));
  else for (const c of checks) out(`${c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}`);
  return checks.every((c) => c.ok) ? 0 : 1;
}

/** Can the token read the repository itself? A token that reaches GitHub may still not see it. */
async function repositoryAccess(github: GitHubClient, slug: string): Promise<DoctorCheck> {
  const [owner, repo] = slug.split('/');
  try {
    const r = await github.get('/repos/{owner}/{repo}', { owner, repo }, RepositoryAccess);
    const access = r.permissions?.admin ? 'admin' : r.permissions?.push ? 'write' : r.permissions?.pull ? 'read' : 'unknown';
    return {
      name: 'github repository',
      ok: true,
      detail: `${r.full_name}: ${r.visibility ?? (r.private ? 'private' : 'public')}, default branch ${r.default_branch ?? '?'}, token access ${access}`,
    };
  } catch (e) {
    const fix = GitHubError.is(e, 'notFound')
      ? `give the token access to ${slug}: a fine-grained token needs the repository selected with Metadata, Deployments, Pull requests, Checks and Code scanning alerts read; a classic one the repo scope`
      : 'see the github check above';
    return { name: 'github repository', ok: false, detail: GitHubError.is(e) ? e.message : String(e), fix };
  }
}
