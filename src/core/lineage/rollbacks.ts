/**
 * What each rollback undid. A rollback deploys an earlier revision again; the deployment it undoes
 * is the one that was running in that environment just before it, not the one it restores. Read
 * from the environment's whole history, since the undone deployment and the rollback usually
 * deploy different commits.
 */
import type { Deployment } from '../model/domain';

export interface Undoing {
  /** The rollback deployment. */
  rollback: Deployment;
  /** The deployment that was running until the rollback replaced it. */
  undone: Deployment;
}

/** Every rollback in the histories (any order, any environments) with the deployment it undid. */
export function rollbacksIn(history: Deployment[]): Undoing[] {
  const byEnvironment = new Map<string, Deployment[]>();
  for (const d of history) {
    if (d.status !== 'success') continue;
    const list = byEnvironment.get(d.environment) ?? [];
    list.push(d);
    byEnvironment.set(d.environment, list);
  }
  const out: Undoing[] = [];
  for (const list of byEnvironment.values()) {
    // Oldest first, in the deploy tool's order where the source gives it (effectiveAt), else by
    // time; the source's own order breaks ties.
    const when = (d: Deployment) => d.effectiveAt ?? d.at;
    const ordered = list.map((d, i) => ({ d, i })).sort((a, b) => when(a.d).localeCompare(when(b.d)) || b.i - a.i);
    let running: Deployment | null = null;
    const seen = new Set<string>();
    for (const { d } of ordered) {
      if (seen.has(d.id)) continue;
      seen.add(d.id);
      if (d.kind === 'rollback' && running) out.push({ rollback: d, undone: running });
      running = d;
    }
  }
  return out;
}

/** The rollback that undid each deployment, by the undone deployment's id. */
export function undoneBy(history: Deployment[]): Map<string, Deployment> {
  return new Map(rollbacksIn(history).map((u) => [u.undone.id, u.rollback]));
}

/** What each rollback undid, by the rollback's id. */
export function undidBy(history: Deployment[]): Map<string, Deployment> {
  return new Map(rollbacksIn(history).map((u) => [u.rollback.id, u.undone]));
}
