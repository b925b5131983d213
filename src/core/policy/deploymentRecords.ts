/** Deployments as an auditor reads them: a deployment followed by its rollback is one record. */
import type { Deployment } from '../model/domain';

/** A deployment as the record an auditor reads: one followed by its rollback is one composite. */
export interface DeploymentRecord {
  id: string;
  environment: string;
  kind: string;
  at: string;
  actor: string | null;
  artifact: string | null;
  /** Set when a rollback in the same environment followed within the window. */
  rolledBack: { by: string; at: string; afterMinutes: number } | null;
}

/**
 * Deployments in time order, each deploy or hotfix followed within `windowMs` by a rollback in
 * the same environment folded into one "deployed, then rolled back" record; the rollback itself
 * is not counted as a new deployment.
 */
export function deploymentRecords(deployments: Deployment[], windowMs: number): DeploymentRecord[] {
  const sorted = [...deployments].filter((d) => d.status === 'success').sort((a, b) => a.at.localeCompare(b.at));
  const records: DeploymentRecord[] = [];
  const folded = new Set<string>();
  for (const d of sorted) {
    if (d.kind === 'rollback') {
      const target = [...records].reverse().find((r) => r.environment === d.environment && !r.rolledBack && r.kind !== 'rollback');
      const after = target ? Date.parse(d.at) - Date.parse(target.at) : Infinity;
      if (target && after <= windowMs) {
        target.rolledBack = { by: d.id, at: d.at, afterMinutes: Math.round(after / 60_000) };
        folded.add(d.id);
        continue;
      }
    }
    records.push({ id: d.id, environment: d.environment, kind: d.kind, at: d.at, actor: d.actor, artifact: d.artifact, rolledBack: null });
  }
  return records;
}
