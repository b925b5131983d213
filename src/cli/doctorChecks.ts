/** The checks `lineage doctor` prints, and the one every direct source ends with. */
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
