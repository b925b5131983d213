/**
 * Which environments a line has reached, in the order the team promotes through (a setting), and
 * the one-word state the gutter and the status bar show.
 */
import type { EnvironmentState, LineLineage } from '../lineage/lineLineage';

export interface EnvironmentPolicy {
  /** Promotion order, first to last (e.g. dev, staging, production); others follow by name. */
  order: string[];
  /** The environment that counts as production. */
  production: string;
}

/** The editor's default promotion order, for commands that have no settings to read it from. */
export const defaultEnvironmentPolicy: EnvironmentPolicy = { order: ['dev', 'staging', 'production'], production: 'production' };

export type GutterState = 'production' | 'earlier' | 'notDeployed' | 'local' | 'unknown';

export function orderEnvironments<T extends { name: string }>(envs: T[], policy: EnvironmentPolicy): T[] {
  const rank = (name: string) => {
    const i = policy.order.indexOf(name);
    return i < 0 ? policy.order.length : i;
  };
  return [...envs].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/** The environments where this exact line is live, in promotion order. */
export function liveEnvironments(line: LineLineage, policy: EnvironmentPolicy): string[] {
  return orderEnvironments(line.environments, policy)
    .filter((e) => e.live === true)
    .map((e) => e.name);
}

/** The furthest environment along the promotion order where the line is live, or null. */
export function furthestEnvironment(line: LineLineage, policy: EnvironmentPolicy): string | null {
  const live = liveEnvironments(line, policy);
  if (live.includes(policy.production)) return policy.production;
  return live[live.length - 1] ?? null;
}

export function gutterState(line: LineLineage, policy: EnvironmentPolicy): GutterState {
  if (!line.commit) return 'local';
  if (line.environments.length === 0) return 'unknown';
  const live = liveEnvironments(line, policy);
  if (live.includes(policy.production)) return 'production';
  if (live.length > 0) return 'earlier';
  if (line.environments.every((e) => e.live === null)) return 'unknown';
  return 'notDeployed';
}

/** How many lines of the buffer are not live in an environment (differ from its deployed file). */
export function linesDiffering(lines: LineLineage[], environment: string): number | null {
  let count = 0;
  for (const l of lines) {
    const e = l.environments.find((x) => x.name === environment);
    if (!e || e.live === null) return null;
    if (!e.live) count++;
  }
  return count;
}

export function environmentByName(envs: EnvironmentState[], name: string): EnvironmentState | undefined {
  return envs.find((e) => e.name === name);
}
