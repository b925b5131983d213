/** What runs where, as the direct sources (GitHub, GitLab) read it from their deployments. */
import type { Deployment, Environment, EnvironmentProtection } from '../model/domain';

/**
 * What runs in each environment: its latest deployment whose latest status is success (inactive
 * and failed ones are history). `deployments` come newest first.
 */
export function liveByEnvironment(deployments: Deployment[]): Map<string, Deployment> {
  const live = new Map<string, Deployment>();
  for (const d of deployments) if (d.status === 'success' && !live.has(d.environment)) live.set(d.environment, d);
  return live;
}

/** Every environment the source names or has deployed to, by name, with what runs there and its protection. */
export function environmentsOf(
  environments: string[],
  deployments: Deployment[],
  protection: Map<string, EnvironmentProtection>,
): Environment[] {
  const names = [...new Set([...environments, ...deployments.map((d) => d.environment)])].sort();
  const live = liveByEnvironment(deployments);
  return names.map((name) => ({ name, deployment: live.get(name) ?? null, protection: protection.get(name) ?? null }));
}
