/** A (Cluster)PolicyReport (wg-policy, Kyverno): failing results name their resources; the scope names one too. */
import { z } from 'zod';
import { noRefs, type DocumentReader } from './readerTypes';
import { list, text } from './tolerant';

const Resource = z.looseObject({ kind: text, name: z.string(), namespace: text });
const Result = z.looseObject({ policy: text, rule: text, result: text, resources: list(Resource, 100) });
const Report = z.looseObject({
  kind: z.string().endsWith('PolicyReport'),
  results: z.array(z.unknown()).transform((r) => list(Result, 5000).parse(r)),
  scope: z.looseObject({ kind: text, name: text, namespace: text }).optional().catch(undefined),
});

export const policyReportReader: DocumentReader = {
  format: 'policy-report',
  read(doc) {
    const parsed = Report.safeParse(doc);
    if (!parsed.success) return null;
    const refs = noRefs();
    for (const r of parsed.data.results) {
      if (r.result && !['fail', 'warn', 'error'].includes(r.result)) continue;
      for (const res of r.resources)
        refs.kubernetes.push({
          kind: res.kind ?? null,
          name: res.name,
          namespace: res.namespace ?? null,
          field: null,
          why: `policy ${r.policy ?? ''}/${r.rule ?? ''}: ${r.result}`,
        });
    }
    const scope = parsed.data.scope;
    if (scope?.name)
      refs.kubernetes.push({
        kind: scope.kind ?? null,
        name: scope.name,
        namespace: scope.namespace ?? null,
        field: null,
        why: 'policy report scope',
      });
    return refs;
  },
};
