/** A GitHub code-scanning alert as its API returns it: the most recent instance's location, commit and environment. */
import { z } from 'zod';
import { emptyHints, type FindingInput } from '../findingTypes';
import { position, prose, text } from './tolerant';

const sha = /^[0-9a-f]{40}([0-9a-f]{24})?$/i;

const Alert = z.looseObject({
  rule: z.looseObject({ id: z.unknown(), description: z.unknown() }).optional().catch(undefined),
  most_recent_instance: z.looseObject({
    commit_sha: text,
    environment: text,
    location: z
      .looseObject({ path: text, start_line: position, start_column: position })
      .catch({ path: undefined, start_line: null, start_column: null }),
  }),
});

export function codeScanningAlertReader(json: unknown): FindingInput | null {
  const alert = Alert.safeParse(json);
  if (!alert.success) return null;
  const { most_recent_instance: instance, rule } = alert.data;
  const loc = instance.location;
  return {
    kind: 'code-scanning-alert',
    kubernetes: [],
    terraform: [],
    locations: loc.path
      ? [
          {
            file: loc.path,
            line: loc.start_line,
            column: loc.start_column,
            function: null,
            source: 'sarif',
            index: 0,
            language: null,
            raw: `${loc.path}:${loc.start_line ?? ''}`,
          },
        ]
      : [],
    hints: {
      ...emptyHints(),
      commit: instance.commit_sha && sha.test(instance.commit_sha) ? instance.commit_sha.toLowerCase() : null,
      environment: instance.environment ?? null,
    },
    messages: [prose(rule?.description) || prose(rule?.id)].filter(Boolean),
  };
}
