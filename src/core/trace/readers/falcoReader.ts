/** A Falco alert: output_fields name the pod or deployment the rule fired in. */
import { z } from 'zod';
import { noRefs, type DocumentReader } from './readerTypes';
import { prose, text } from './tolerant';

const Alert = z
  .looseObject({
    rule: z.unknown(),
    priority: z.unknown(),
    output_fields: z.looseObject({ 'k8s.pod.name': text, 'k8s.deployment.name': text, 'k8s.ns.name': text }),
  })
  .refine((a) => Boolean(a.rule || a.priority));

export const falcoReader: DocumentReader = {
  format: 'falco',
  read(doc) {
    const parsed = Alert.safeParse(doc);
    if (!parsed.success) return null;
    const f = parsed.data.output_fields;
    const refs = noRefs();
    const name = f['k8s.pod.name'] ?? f['k8s.deployment.name'];
    if (name)
      refs.kubernetes.push({
        kind: f['k8s.deployment.name'] ? 'Deployment' : 'Pod',
        name,
        namespace: f['k8s.ns.name'] ?? null,
        field: null,
        why: `Falco rule "${prose(parsed.data.rule).slice(0, 100)}"`,
      });
    return refs;
  },
};
