/** The checks `lineage doctor` prints, and the one every direct source ends with. */
import type { Repository } from '../core/git/repository';
import type { LineageSource } from '../core/sources/lineageSource';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/**
 * What direct mode reads from this repository: its environments, and what the forge cannot say
 * (code scanning or vulnerabilities off, fields an older server lacks). Unknowns are reported,
 * not failures. `forge` names the check (`github data`); `findings` says what was readable.
 */
export async function sourceDataCheck(source: LineageSource, slug: string, forge: string, findings: string): Promise<DoctorCheck> {
  const name = `${forge} data`;
  try {
    const [environments] = await Promise.all([source.environments(slug), source.openFindings?.(slug)]);
    const live = environments.filter((e) => e.deployment).map((e) => e.name);
    const unknown = (source.notices?.() ?? []).map((n) => n.message);
    return {
      name,
      ok: true,
      detail: `${environments.length} environment(s), ${live.length ? `deployed: ${live.join(', ')}` : 'none deployed'}${unknown.length ? `; ${unknown.join('; ')}` : `; ${findings} readable`}`,
    };
  } catch (e) {
    return { name, ok: false, detail: e instanceof Error ? e.message : String(e), fix: `see the ${forge} checks above` };
  }
}

/**
 * Whether the clone holds the history the answers come from: a shallow clone credits older lines
 * to the cut (and `check` refuses), and a partial clone's missing objects are never fetched.
 */
export async function cloneCheck(repo: Repository): Promise<DoctorCheck> {
  const cut = [...repo.shallowCommits()].map((c) => c.slice(0, 7));
  if (cut.length > 0)
    return {
      name: 'clone',
      ok: false,
      detail: `shallow: the history stops at ${cut.join(', ')}; blame credits older lines to it (and says so), check refuses a branch it cannot tell from its base`,
      fix: '"git fetch --unshallow" (in GitHub Actions: actions/checkout with fetch-depth: 0; in GitLab CI: GIT_DEPTH: 0)',
    };
  // git marks a partial clone's remote with remote.<name>.promisor (older gits: extensions.partialClone).
  const listed = await repo.run(['config', '--get-regexp', '^(remote\\..*\\.promisor|extensions\\.partialclone)$']).catch(() => '');
  const promisor = listed
    .split('\n')
    .map((line) => /^remote\.(.+)\.promisor true$/i.exec(line)?.[1] ?? /^extensions\.partialclone (.+)$/i.exec(line)?.[1])
    .find((name) => name !== undefined);
  if (promisor)
    return {
      name: 'clone',
      ok: false,
      detail: `partial (objects come from "${promisor}" when git needs them): Code Lineage fetches nothing, so a file whose history is missing cannot be blamed`,
      fix: 'work in a full clone (git clone without --filter)',
    };
  return { name: 'clone', ok: true, detail: 'full history' };
}
