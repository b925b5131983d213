/** A Gatekeeper constraint's audit status: status.violations[] name the objects that break it. */
import { z } from 'zod';
import { noRefs, type DocumentReader } from './readerTypes';
import { list, prose, text } from './tolerant';

const Violation = z.looseObject({ kind: text, name: z.string(), namespace: text, message: z.unknown() });
const Constraint = z.looseObject({
  kind: text,
  status: z.looseObject({ violations: z.array(z.unknown()).transform((v) => list(Violation, 5000).parse(v)) }),
});

export const gatekeeperReader: DocumentReader = {
  format: 'gatekeeper',
  read(doc) {
    const parsed = Constraint.safeParse(doc);
    if (!parsed.success) return null;
    const refs = noRefs();
    for (const v of parsed.data.status.violations) {
      refs.kubernetes.push({
        kind: v.kind ?? null,
        name: v.name,
        namespace: v.namespace ?? null,
        field: null,
        why: `Gatekeeper ${parsed.data.kind ?? ''}: ${prose(v.message).slice(0, 120)}`,
      });
    }
    return refs;
  },
};
