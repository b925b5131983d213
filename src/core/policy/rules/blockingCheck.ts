/** blocking-check: a required check failed, is missing or still running on the head; any check failed. */
import { short, type Found, type Rule } from './ruleFacts';

export type BlockingCheckEvidence =
  | { check: string; head: string }
  | { check: string; conclusion: string; url: string | null; buildEventKey: string | null }
  | { check: string; status: string; buildEventKey: string | null };

const failedConclusions = new Set(['failure', 'cancelled', 'timed_out', 'action_required', 'error', 'startup_failure', 'stale']);

export const blockingCheck: Rule<BlockingCheckEvidence> = (facts, policy) => {
  const found: Found<BlockingCheckEvidence>[] = [];
  const required = policy.rules['blocking-check'].required;
  const builds = facts.lineage.get(facts.headSha)?.builds ?? [];
  // A check run again replaces its earlier run.
  const latestByName = new Map<string, (typeof builds)[number]>();
  for (const b of [...builds].sort((x, y) => (x.startedAt ?? '').localeCompare(y.startedAt ?? ''))) latestByName.set(b.name ?? b.id, b);
  for (const name of required) {
    if (!latestByName.has(name))
      found.push({
        message: `required check "${name}" has not run on ${short(facts.headSha)}`,
        evidence: { check: name, head: facts.headSha },
      });
  }
  for (const [name, b] of latestByName) {
    if (b.conclusion && failedConclusions.has(b.conclusion)) {
      found.push({
        message: `check "${name}" ${b.conclusion} on ${short(facts.headSha)}`,
        evidence: { check: name, conclusion: b.conclusion, url: b.url, buildEventKey: b.eventKey },
      });
    } else if (required.includes(name) && b.status !== 'completed') {
      found.push({
        message: `required check "${name}" is still ${b.status} on ${short(facts.headSha)}`,
        evidence: { check: name, status: b.status, buildEventKey: b.eventKey },
      });
    }
  }
  return found;
};
