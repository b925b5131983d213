/**
 * The readers of infrastructure and scanner documents, as a table tried in order: the first that
 * recognises a document reads it. More specific shapes come first (a PolicyReport also has
 * `results`; every audit event is also a Kubernetes object).
 */
import { checkovReader } from './checkovReader';
import { falcoReader } from './falcoReader';
import { gatekeeperReader } from './gatekeeperReader';
import { kubernetesAuditReader } from './kubernetesAuditReader';
import { kubernetesObjectReader } from './kubernetesObjectReader';
import { policyReportReader } from './policyReportReader';
import { noRefs, type DocumentReader, type InfraRefs } from './readerTypes';
import { tfsecReader } from './tfsecReader';
import { trivyReader } from './trivyReader';

export const documentReaders: readonly DocumentReader[] = [
  trivyReader,
  checkovReader,
  tfsecReader,
  kubernetesAuditReader,
  falcoReader,
  policyReportReader,
  gatekeeperReader,
  kubernetesObjectReader,
];

/** Kubernetes and Terraform references in a parsed JSON or YAML value (one document or a list, at most 1,000). */
export function infrastructureRefs(value: unknown): InfraRefs {
  const refs = noRefs();
  for (const doc of (Array.isArray(value) ? value : [value]).slice(0, 1000)) {
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) continue;
    for (const reader of documentReaders) {
      const found = reader.read(doc as Record<string, unknown>);
      if (!found) continue;
      refs.kubernetes.push(...found.kubernetes);
      refs.terraform.push(...found.terraform);
      refs.locations.push(...found.locations);
      break;
    }
  }
  return refs;
}
