/**
 * Deployments as an auditor reads them: a deployment that a rollback undid carries that rollback
 * ("deployed, then rolled back"), and a rollback names the deployment it undid, never the one it
 * restored.
 */
import { rollbacksIn } from '../lineage/rollbacks';
import type { Deployment } from '../model/domain';

export interface DeploymentRecord {
  id: string;
  environment: string;
  kind: string;
  at: string;
  actor: string | null;
  artifact: string | null;
  /** The rollback that undid this deployment, and how long after it. */
  rolledBack: { by: string; at: string; afterMinutes: number } | null;
  /** For a rollback: the deployment it undid. */
  undid: string | null;
}

/**
 * The successful `deployments` in time order, each with what undid it or what it undid, read from
 * `histories`: the environments' whole histories (the rollback of a branch's deployment usually
 * deploys another branch's commit).
 */
export function deploymentRecords(deployments: Deployment[], histories: Deployment[]): DeploymentRecord[] {
  const undoings = rollbacksIn([...histories, ...deployments]);
  const undoneBy = new Map(undoings.map((u) => [u.undone.id, u.rollback]));
  const undid = new Map(undoings.map((u) => [u.rollback.id, u.undone]));
  const listed = new Map(deployments.filter((d) => d.status === 'success').map((d) => [d.id, d]));
  // A rollback of a listed deployment is part of that deployment's record, not a record of its own.
  return [...listed.values()]
    .filter((d) => !(d.kind === 'rollback' && listed.has(undid.get(d.id)?.id ?? '')))
    .sort((a, b) => a.at.localeCompare(b.at))
    .map((d) => {
      const rollback = undoneBy.get(d.id);
      return {
        id: d.id,
        environment: d.environment,
        kind: d.kind,
        at: d.at,
        actor: d.actor,
        artifact: d.artifact,
        rolledBack: rollback
          ? { by: rollback.id, at: rollback.at, afterMinutes: Math.round((Date.parse(rollback.at) - Date.parse(d.at)) / 60_000) }
          : null,
        undid: undid.get(d.id)?.id ?? null,
      };
    });
}
