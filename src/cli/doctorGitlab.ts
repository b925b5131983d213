/**
 * `lineage doctor`'s checks for GitLab as the source: where the token came from (never its value)
 * and where it goes, whether the instance answers and which version it runs, the rate limit it
 * reports, whether the token can read the project, and what direct mode reads from it.
 */
import { z } from 'zod';
import { GitLabError, type GitLabClient } from '../core/sources/gitlab/gitlabClient';
import type { LineageSource } from '../core/sources/lineageSource';
import { sourceDataCheck, type DoctorCheck } from './doctorChecks';

const Version = z.object({ version: z.string(), revision: z.string().optional() }).loose();
const Project = z
  .object({
    path_with_namespace: z.string(),
    visibility: z.string().optional(),
    default_branch: z.string().nullable().optional(),
    permissions: z
      .object({
        project_access: z.object({ access_level: z.number() }).nullable().optional(),
        group_access: z.object({ access_level: z.number() }).nullable().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

const accessLevels: Record<number, string> = { 10: 'guest', 15: 'planner', 20: 'reporter', 30: 'developer', 40: 'maintainer', 50: 'owner' };

export async function gitlabChecks(
  client: GitLabClient,
  source: LineageSource,
  slug: string | null,
  env: NodeJS.ProcessEnv,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const from = env.GITLAB_TOKEN ? 'GITLAB_TOKEN' : env.CI_JOB_TOKEN ? 'CI_JOB_TOKEN (this GitLab CI job)' : 'the editor';
  checks.push({ name: 'gitlab token', ok: true, detail: `from ${from} (sent only to ${client.host})` });
  try {
    const version = await client.read('version', (api) => api.Metadata.show(), Version);
    const limit = client.rateLimit;
    checks.push({
      name: 'gitlab',
      ok: true,
      detail: `reachable: GitLab ${version.version} at ${client.instance}${limit ? `; rate limit ${limit.remaining}/${limit.limit} left, resets ${new Date(limit.reset * 1000).toISOString()}` : ''}`,
    });
  } catch (e) {
    const refused = GitLabError.is(e, 'unauthorized');
    checks.push({
      name: 'gitlab',
      ok: false,
      detail: e instanceof Error ? e.message : String(e),
      fix: refused
        ? 'create a token with the read_api scope and set GITLAB_TOKEN (or sign in again in the editor)'
        : 'check --gitlab-url / LINEAGE_GITLAB_URL / lineage.gitlab.url and the network',
    });
    return checks;
  }
  if (!slug) return checks;
  try {
    const p = await client.read('project', (api) => api.Projects.show(slug), Project);
    const level = Math.max(p.permissions?.project_access?.access_level ?? 0, p.permissions?.group_access?.access_level ?? 0);
    checks.push({
      name: 'gitlab project',
      ok: true,
      detail: `${p.path_with_namespace}: ${p.visibility ?? '?'}, default branch ${p.default_branch ?? '?'}, token access ${accessLevels[level] ?? (level ? String(level) : 'unknown')}`,
    });
  } catch (e) {
    checks.push({
      name: 'gitlab project',
      ok: false,
      detail: e instanceof Error ? e.message : String(e),
      fix: GitLabError.is(e, 'notFound')
        ? `give the token access to ${slug}: at least the Reporter role, and the read_api scope`
        : 'see the gitlab check above',
    });
    return checks;
  }
  checks.push(await sourceDataCheck(source, slug, 'gitlab', 'vulnerabilities'));
  return checks;
}
