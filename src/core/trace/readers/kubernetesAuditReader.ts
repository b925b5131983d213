/** A Kubernetes audit event (audit.k8s.io): the object it touched, or the controller that owns a pod not yet named. */
import { z } from 'zod';
import { noRefs, type DocumentReader } from './readerTypes';
import { privilegedField } from './podSpec';
import { list, text } from './tolerant';

const resourceKinds: Record<string, string> = {
  pods: 'Pod',
  deployments: 'Deployment',
  services: 'Service',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
  configmaps: 'ConfigMap',
  secrets: 'Secret',
  ingresses: 'Ingress',
  replicasets: 'ReplicaSet',
};

const Owner = z.looseObject({ kind: text, name: text, controller: z.unknown() });
const AuditEvent = z.looseObject({
  kind: z.literal('Event'),
  apiVersion: z.string().startsWith('audit.k8s.io'),
  verb: text,
  objectRef: z.looseObject({ resource: text, name: text, namespace: text }),
  requestObject: z
    .looseObject({
      kind: text,
      metadata: z
        .looseObject({ name: text, generateName: text, ownerReferences: list(Owner, 100) })
        .catch({ name: undefined, generateName: undefined, ownerReferences: [] }),
    })
    .optional()
    .catch(undefined),
});

export const kubernetesAuditReader: DocumentReader = {
  format: 'kubernetes-audit',
  read(doc) {
    const parsed = AuditEvent.safeParse(doc);
    if (!parsed.success) return null;
    const { objectRef: ref, requestObject, verb } = parsed.data;
    const meta = requestObject?.metadata;
    const owners = meta?.ownerReferences ?? [];
    const owner = owners.find((x) => x.controller) ?? owners[0];
    const why = `audit event ${verb ?? ''} ${ref.resource ?? ''}`.trim();
    const field = privilegedField(doc.requestObject);
    const namespace = ref.namespace ?? null;
    const named = ref.name ?? meta?.name;
    const refs = noRefs();
    if (named)
      refs.kubernetes.push({
        kind: requestObject?.kind ?? (ref.resource ? (resourceKinds[ref.resource] ?? null) : null),
        name: named,
        namespace,
        field,
        why,
      });
    // A pod created by a controller has no name yet: its owner (and the owner's owner) does.
    else if (owner?.name)
      refs.kubernetes.push({ kind: owner.kind ?? null, name: owner.name, namespace, field, why: `${why} by ${owner.kind} ${owner.name}` });
    else if (meta?.generateName) refs.kubernetes.push({ kind: null, name: meta.generateName.replace(/-$/, ''), namespace, field, why });
    return refs;
  },
};
