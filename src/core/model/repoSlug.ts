/**
 * A repository key: `owner/name` as GitHub payloads carry it, or a project's full path through
 * nested groups (`group/subgroup/name`, as GitLab has them). No segment is `.` or `..`.
 * Kept apart from the schemas so that git-only commands (`lineage blame --source git`) do not load
 * the schema library to check a name.
 */
export function isRepoSlug(v: string): boolean {
  return /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+){1,19}$/.test(v) && !v.split('/').some((part) => part === '.' || part === '..');
}
