/**
 * A pasted SARIF 2.1.0 log: every result's locations (read as ingest reads them, through
 * artifacts and originalUriBaseIds), the revision from versionControlProvenance, and the first
 * messages.
 */
import { z } from 'zod';
import { sarifResultLocations } from '../../ingest/sarifLocations';
import { emptyHints, type FindingInput, type TraceLocation } from '../findingTypes';
import { items, list, text } from './tolerant';

const sha = /^[0-9a-f]{40}([0-9a-f]{24})?$/i;

const Result = z.looseObject({ message: z.looseObject({ text }).optional().catch(undefined) });
const Run = z.looseObject({
  versionControlProvenance: list(z.looseObject({ revisionId: text }), 1),
  results: z.unknown().transform((v) => items(v, 10_000)),
});
const Log = z.looseObject({ version: z.literal('2.1.0'), runs: z.array(z.unknown()).transform((r) => r.slice(0, 100)) });

export function sarifReader(json: unknown): FindingInput | null {
  const log = Log.safeParse(json);
  if (!log.success) return null;
  const locations: TraceLocation[] = [];
  const hints = emptyHints();
  const messages: string[] = [];
  for (const runValue of log.data.runs) {
    const run = Run.safeParse(runValue);
    if (!run.success) continue;
    const revision = run.data.versionControlProvenance[0]?.revisionId;
    if (!hints.commit && revision && sha.test(revision)) hints.commit = revision.toLowerCase();
    for (const resultValue of run.data.results) {
      const result = Result.safeParse(resultValue);
      if (!result.success) continue;
      if (messages.length < 5 && result.data.message?.text) messages.push(result.data.message.text.slice(0, 300));
      for (const l of sarifResultLocations(run.data, result.data)) {
        locations.push({
          file: l.path,
          line: l.line,
          column: l.column,
          function: null,
          source: 'sarif',
          index: locations.length,
          language: null,
          raw: `${l.path}:${l.line ?? ''}`,
        });
      }
    }
  }
  return { kind: 'sarif', locations, kubernetes: [], terraform: [], hints, messages };
}
