/**
 * Builds and findings as the native events a backfill (`lineage sync github`, `lineage sync
 * gitlab`) sends, under the ids their webhooks give the rows. Fields the source left empty are left
 * out rather than sent as null.
 */
import type { Build, Finding } from '../model/domain';

/** The object without its null and undefined fields. */
export function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== undefined));
}

const fullSha = /^[0-9a-f]{40}$/;

/** A build at its state: the event id names the state, so a later state is a new event and the same one is not. */
export function buildEvent(repo: string, b: Build): object {
  return defined({
    type: 'build',
    id: `${b.id}:${b.status}:${b.conclusion ?? ''}`,
    repo,
    buildId: b.id,
    kind: b.kind,
    name: b.name,
    commit: b.commit && fullSha.test(b.commit) ? b.commit : null,
    status: b.status,
    conclusion: b.conclusion,
    url: b.url,
    startedAt: b.startedAt,
    finishedAt: b.finishedAt,
  });
}

/** A finding with its first location, under the event id given. */
export function findingEvent(f: Finding, id: string): object {
  const commit = f.commit && fullSha.test(f.commit) ? f.commit : null;
  const location = f.locations[0];
  return defined({
    type: 'finding',
    id,
    repo: f.repo,
    findingId: f.id,
    kind: f.kind,
    severity: f.severity,
    title: f.title,
    status: f.status,
    ruleId: f.ruleId,
    tool: f.tool,
    url: f.url,
    detectedAt: f.detectedAt,
    commit,
    locations: location
      ? [
          defined({
            path: location.path,
            line: location.line,
            endLine: location.endLine,
            revision: location.revision && fullSha.test(location.revision) ? location.revision : commit,
          }),
        ]
      : [],
  });
}
