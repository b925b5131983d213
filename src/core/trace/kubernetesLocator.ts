/**
 * Where the repository defines a Kubernetes object: YAML parsed with positions (multi-document
 * files, Kustomize name prefixes and suffixes, a pod's owning workload), at the line of the field
 * in question, or the object's definition line when the field is absent.
 */
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { dirOf } from './repoPaths';
import type { InfraHit, KubernetesRef, RepoFiles } from './infrastructureRefs';

/** Kubernetes manifests that define the object, at the field's line (or the object's). */
export async function findKubernetes(repo: RepoFiles, ref: KubernetesRef): Promise<InfraHit[]> {
  const manifests = repo.files.filter((f) => /\.(ya?ml|json)$/i.test(f)).slice(0, 20_000);
  const affixes = await kustomizeAffixes(repo, manifests);
  const names = candidateNames(ref, affixes);
  const hits: (InfraHit & { inOverlay: boolean })[] = [];
  for (const path of manifests) {
    const text = await repo.read(path);
    if (!text || text.length > 5_000_000 || !names.some((n) => text.includes(n.name))) continue;
    const counter = new LineCounter();
    let docs;
    try {
      docs = parseAllDocuments(text, { lineCounter: counter });
    } catch {
      continue;
    }
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      if (doc.errors.length) continue;
      const root = doc.contents as YamlNode | null;
      if (!isMap(root)) continue;
      const kind = scalar(root, 'kind');
      const name = scalar(nodeAt(root, ['metadata']), 'name');
      const namespace = scalar(nodeAt(root, ['metadata']), 'namespace');
      const matched = names.find((n) => n.name === name && (!n.kind || !kind || n.kind === kind));
      if (!matched || (ref.namespace && namespace && namespace !== ref.namespace)) continue;
      // Another overlay's copy is another object (its prefix names it differently).
      const inOverlay = matched.overlay !== undefined && path.startsWith(`${matched.overlay}/`);
      if (
        matched.overlay !== undefined &&
        !inOverlay &&
        affixes.some((a) => dirOf(a.file) !== matched.overlay && path.startsWith(`${dirOf(a.file)}/`))
      )
        continue;
      const lineOf = (node: YamlNode | null) => (node?.range ? counter.linePos(node.range[0]).line : null);
      let line = lineOf(nodeAt(root, ['kind'])) ?? lineOf(root) ?? 1;
      let exact = false;
      let where = 'the object';
      // A pod-level field path on a workload lives under its pod template.
      const field = ref.field && kind ? podTemplateField(kind, ref.field) : ref.field;
      if (field) {
        const { node, depth, steps } = deepest(root, fieldSteps(field));
        const keyLine = lineOf(node);
        if (keyLine && depth > 0) {
          line = keyLine;
          exact = depth === steps;
          where = exact ? `field ${field}` : `${fieldSteps(field).slice(0, depth).join('.')} (the rest of ${field} is not set here)`;
        }
      }
      hits.push({
        path,
        line,
        exact,
        inOverlay,
        reason: `${ref.why}: ${kind ?? 'object'} ${name}${namespace ? ` in ${namespace}` : ''}${matched.via ? ` (${matched.via})` : ''}, ${where}`,
      });
    }
  }
  // The overlay that names the object beats its base; a file that sets the field beats one that
  // only defines the object.
  return hits
    .sort((a, b) => Number(b.inOverlay) - Number(a.inOverlay) || Number(b.exact) - Number(a.exact))
    .map(({ inOverlay, ...h }) => h);
}

const templated: Record<string, string> = {
  Deployment: 'spec.template.',
  StatefulSet: 'spec.template.',
  DaemonSet: 'spec.template.',
  ReplicaSet: 'spec.template.',
  Job: 'spec.template.',
  CronJob: 'spec.jobTemplate.spec.template.',
};

function podTemplateField(kind: string, field: string): string {
  const prefix = templated[kind];
  return prefix &&
    field.startsWith('spec.') &&
    !field.startsWith(`${prefix}spec.`) &&
    !field.startsWith('spec.template') &&
    !field.startsWith('spec.jobTemplate') &&
    /^spec\.(containers|initContainers|volumes|securityContext|hostNetwork|hostPID|hostIPC|serviceAccountName)/.test(field)
    ? `${prefix}${field}`
    : field;
}

interface NameCandidate {
  name: string;
  kind: string | null;
  via: string | null;
  /** The folder of the kustomization whose prefix or suffix produced this name. */
  overlay?: string;
}

/** The object's name, its owner's for a pod (name-<replicaset hash>-<pod hash>), and Kustomize-stripped forms. */
function candidateNames(ref: KubernetesRef, affixes: { prefix: string; suffix: string; file: string }[]): NameCandidate[] {
  const out: NameCandidate[] = [{ name: ref.name, kind: ref.kind, via: null }];
  if (ref.kind === 'Pod' || ref.kind === null) {
    const owner = /^(.+)-[a-z0-9]{8,10}-[a-z0-9]{5}$/.exec(ref.name) ?? /^(.+)-[a-z0-9]{5}$/.exec(ref.name);
    if (owner) out.push({ name: owner[1]!, kind: null, via: `owner of pod ${ref.name}` });
  }
  if (ref.kind === 'ReplicaSet' || ref.kind === null) {
    const owner = /^(.+)-[a-z0-9]{8,10}$/.exec(ref.name);
    if (owner) out.push({ name: owner[1]!, kind: 'Deployment', via: `Deployment of ReplicaSet ${ref.name}` });
  }
  for (const c of [...out]) {
    for (const a of affixes) {
      if (
        (a.prefix || a.suffix) &&
        c.name.startsWith(a.prefix) &&
        c.name.endsWith(a.suffix) &&
        c.name.length > a.prefix.length + a.suffix.length
      ) {
        out.push({
          name: c.name.slice(a.prefix.length, c.name.length - a.suffix.length),
          kind: c.kind,
          via: `Kustomize ${a.file} names it ${c.name}`,
          overlay: dirOf(a.file),
        });
      }
    }
  }
  return out;
}

async function kustomizeAffixes(repo: RepoFiles, manifests: string[]): Promise<{ prefix: string; suffix: string; file: string }[]> {
  const out: { prefix: string; suffix: string; file: string }[] = [];
  for (const file of manifests.filter((f) => /(^|\/)kustomization\.ya?ml$/.test(f)).slice(0, 500)) {
    const text = (await repo.read(file)) ?? '';
    const prefix = /^namePrefix:\s*["']?([\w.-]*)/m.exec(text)?.[1] ?? '';
    const suffix = /^nameSuffix:\s*["']?([\w.-]*)/m.exec(text)?.[1] ?? '';
    if (prefix || suffix) out.push({ prefix, suffix, file });
  }
  return out;
}

function scalar(node: YamlNode | null, key: string): string | null {
  if (!isMap(node)) return null;
  const v = node.get(key, true) as { value?: unknown } | undefined;
  return typeof v?.value === 'string' ? v.value : null;
}

function fieldSteps(field: string): (string | number)[] {
  const steps: (string | number)[] = [];
  for (const part of field.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return steps;
    if (m[1]) steps.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) steps.push(Number(idx[1]));
  }
  return steps;
}

function nodeAt(node: YamlNode | null, path: (string | number)[]): YamlNode | null {
  const found = deepest(node, path);
  return found.depth === path.length ? found.value : null;
}

/** Follows the path as far as the document goes; the node is the last key reached. */
function deepest(
  root: YamlNode | null,
  path: (string | number)[],
): { node: YamlNode | null; value: YamlNode | null; depth: number; steps: number } {
  let node: YamlNode | null = root;
  let keyNode: YamlNode | null = null;
  let depth = 0;
  for (const step of path) {
    if (isMap(node) && typeof step === 'string') {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === step);
      if (!pair) break;
      keyNode = pair.key as YamlNode;
      node = pair.value as YamlNode | null;
    } else if (isSeq(node) && typeof step === 'number' && node.items[step]) {
      node = node.items[step] as YamlNode;
      keyNode = node;
    } else break;
    depth++;
  }
  return { node: depth > 0 ? keyNode : root, value: node, depth, steps: path.length };
}

/** The Terraform block for a resource address, following module.<name> into local module sources. */
