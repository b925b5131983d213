/** What a Kubernetes object's pod spec says, wherever the kind keeps it. */
import { z } from 'zod';
import { items } from './tolerant';

const Container = z.looseObject({ securityContext: z.looseObject({ privileged: z.unknown() }).optional().catch(undefined) });
/** Containers keep their positions (the field names one by index), odd entries included. */
const containers = z.unknown().transform((v) => items(v, 1000));
const Spec = z.looseObject({ containers }).optional().catch(undefined);
const Shapes = z.looseObject({
  spec: z
    .looseObject({
      containers,
      template: z.looseObject({ spec: Spec }).optional().catch(undefined),
      jobTemplate: z
        .looseObject({
          spec: z
            .looseObject({ template: z.looseObject({ spec: Spec }).optional().catch(undefined) })
            .optional()
            .catch(undefined),
        })
        .optional()
        .catch(undefined),
    })
    .optional()
    .catch(undefined),
});

/** The field a privileged-container finding is about, when the object shows one. */
export function privilegedField(obj: unknown): string | null {
  const o = Shapes.safeParse(obj);
  if (!o.success || !o.data.spec) return null;
  const spec = o.data.spec;
  const specs: [string, { containers: unknown[] } | undefined][] = [
    ['spec', spec],
    ['spec.template.spec', spec.template?.spec],
    ['spec.jobTemplate.spec.template.spec', spec.jobTemplate?.spec?.template?.spec],
  ];
  for (const [prefix, s] of specs) {
    const i = (s?.containers ?? []).findIndex((c) => Container.safeParse(c).data?.securityContext?.privileged === true);
    if (i >= 0) return `${prefix}.containers[${i}].securityContext.privileged`;
  }
  return null;
}
