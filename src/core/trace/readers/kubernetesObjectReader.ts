/** A Kubernetes object itself (kubectl get -o yaml), or the object of an admission review's request. */
import { z } from 'zod';
import { noRefs, type DocumentReader } from './readerTypes';
import { privilegedField } from './podSpec';
import { text } from './tolerant';

const KubernetesObject = z.looseObject({
  kind: z.string(),
  apiVersion: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: text }),
});
const Admission = z.looseObject({ request: z.looseObject({ object: z.unknown() }) });

export const kubernetesObjectReader: DocumentReader = {
  format: 'kubernetes-object',
  read(doc) {
    const raw = Admission.safeParse(doc).data?.request.object ?? doc;
    const parsed = KubernetesObject.safeParse(raw);
    if (!parsed.success) return null;
    const o = parsed.data;
    const refs = noRefs();
    // A finding pasted as the object plus the field it is about ("field": "spec…privileged").
    const field = typeof doc.field === 'string' ? doc.field : privilegedField(raw);
    refs.kubernetes.push({
      kind: o.kind,
      name: o.metadata.name,
      namespace: o.metadata.namespace ?? null,
      field,
      why: `${o.kind} ${o.metadata.name}`,
    });
    return refs;
  },
};
