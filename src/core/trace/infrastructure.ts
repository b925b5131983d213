/**
 * Findings about infrastructure rather than code: Kubernetes objects (a pasted object, an audit or
 * admission event, a Falco alert, a policy report, a Gatekeeper violation) and Terraform resources
 * (an address, or a tfsec / checkov / trivy result). The answer is the file of the repository that
 * defines the object, at the line of the field in question: YAML is parsed with positions
 * (multi-document files, Kustomize name prefixes and suffixes), Terraform blocks are found by
 * their `resource "type" "name"` line and followed into local modules. When the field is absent,
 * the object's definition line is the answer.
 */
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';

export interface KubernetesRef {
  kind: string | null;
  name: string;
  namespace: string | null;
  /** A field path such as spec.template.spec.containers[0].securityContext.privileged. */
  field: string | null;
  why: string;
}

export interface TerraformRef {
  /** module.net.aws_security_group.web */
  address: string;
  attribute: string | null;
  why: string;
}

export interface InfraHit {
  path: string;
  line: number;
  reason: string;
  exact: boolean;
}

// ---- reading the input ------------------------------------------------------------------------

const tfAddress = /^(?:module\.[\w-]+(?:\[[^\]]{0,64}\])?\.)*(?:data\.)?[a-z][a-z0-9_]*\.[\w-]+(?:\[[^\]]{0,64}\])?$/;

export function terraformAddress(text: string): string | null {
  const t = text.trim();
  return t.length < 400 && tfAddress.test(t) ? t : null;
}

/** Kubernetes and Terraform references in a parsed JSON or YAML value (bounded walk). */
export function infrastructureRefs(value: unknown): { kubernetes: KubernetesRef[]; terraform: TerraformRef[]; locations: { file: string; line: number | null; why: string }[] } {
  const kubernetes: KubernetesRef[] = [];
  const terraform: TerraformRef[] = [];
  const locations: { file: string; line: number | null; why: string }[] = [];
  const docs = Array.isArray(value) ? value : [value];
  for (const doc of docs.slice(0, 1000)) {
    const o = doc as Record<string, any>;
    if (!o || typeof o !== 'object') continue;
    // trivy: Results[].Misconfigurations[].CauseMetadata
    if (Array.isArray(o.Results)) {
      for (const r of o.Results.slice(0, 1000)) {
        for (const m of (Array.isArray(r?.Misconfigurations) ? r.Misconfigurations : []).slice(0, 1000)) {
          if (m?.Status && m.Status !== 'FAIL') continue;
          const cause = m?.CauseMetadata ?? {};
          if (typeof r.Target === 'string' && r.Target !== '.') locations.push({ file: r.Target, line: num(cause.StartLine), why: `trivy ${m.ID ?? ''} in ${r.Target}` });
          if (typeof cause.Resource === 'string' && terraformAddress(cause.Resource)) terraform.push({ address: cause.Resource, attribute: null, why: `trivy ${m.ID ?? ''}: ${cause.Resource}` });
        }
      }
      continue;
    }
    // checkov: results.failed_checks[]
    const failed = o.results?.failed_checks;
    if (Array.isArray(failed)) {
      for (const c of failed.slice(0, 5000)) {
        if (typeof c?.file_path === 'string') locations.push({ file: c.file_path.replace(/^\//, ''), line: num(c.file_line_range?.[0]), why: `checkov ${c.check_id ?? ''} on ${c.resource ?? c.file_path}` });
        if (typeof c?.resource === 'string' && terraformAddress(c.resource)) terraform.push({ address: c.resource, attribute: null, why: `checkov ${c.check_id ?? ''}` });
      }
      continue;
    }
    // tfsec: results[] with location
    if (Array.isArray(o.results) && o.results.some((x: any) => x?.location?.filename)) {
      for (const x of o.results.slice(0, 5000)) {
        if (typeof x?.location?.filename === 'string') locations.push({ file: x.location.filename, line: num(x.location.start_line), why: `tfsec ${x.rule_id ?? x.long_id ?? ''}` });
        if (typeof x?.resource === 'string' && terraformAddress(x.resource)) terraform.push({ address: x.resource, attribute: null, why: `tfsec ${x.rule_id ?? ''}` });
      }
      continue;
    }
    // Kubernetes audit event
    if (o.kind === 'Event' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('audit.k8s.io') && o.objectRef) {
      const ref = o.objectRef;
      const meta = o.requestObject?.metadata ?? {};
      const owner = Array.isArray(meta.ownerReferences) ? meta.ownerReferences.find((x: any) => x?.controller) ?? meta.ownerReferences[0] : null;
      const why = `audit event ${o.verb ?? ''} ${ref.resource ?? ''}`.trim();
      const field = privilegedField(o.requestObject);
      const named = ref.name ?? meta.name;
      if (typeof named === 'string') kubernetes.push({ kind: o.requestObject?.kind ?? kindOfResource(ref.resource), name: named, namespace: ref.namespace ?? null, field, why });
      // A pod created by a controller has no name yet: its owner (and the owner's owner) does.
      else if (typeof owner?.name === 'string') kubernetes.push({ kind: owner.kind ?? null, name: owner.name, namespace: ref.namespace ?? null, field, why: `${why} by ${owner.kind} ${owner.name}` });
      else if (typeof meta.generateName === 'string') kubernetes.push({ kind: null, name: meta.generateName.replace(/-$/, ''), namespace: ref.namespace ?? null, field, why });
      continue;
    }
    // Falco
    if (o.output_fields && typeof o.output_fields === 'object' && (o.rule || o.priority)) {
      const f = o.output_fields;
      const name = f['k8s.pod.name'] ?? f['k8s.deployment.name'];
      if (typeof name === 'string' && name) kubernetes.push({ kind: f['k8s.deployment.name'] ? 'Deployment' : 'Pod', name, namespace: f['k8s.ns.name'] ?? null, field: null, why: `Falco rule "${String(o.rule ?? '').slice(0, 100)}"` });
      continue;
    }
    // PolicyReport / ClusterPolicyReport
    if (typeof o.kind === 'string' && /PolicyReport$/.test(o.kind) && Array.isArray(o.results)) {
      for (const r of o.results.slice(0, 5000)) {
        if (r?.result && !['fail', 'warn', 'error'].includes(r.result)) continue;
        for (const res of (Array.isArray(r?.resources) ? r.resources : []).slice(0, 100)) {
          if (typeof res?.name === 'string') kubernetes.push({ kind: res.kind ?? null, name: res.name, namespace: res.namespace ?? null, field: null, why: `policy ${r.policy ?? ''}/${r.rule ?? ''}: ${r.result}` });
        }
      }
      if (o.scope?.name) kubernetes.push({ kind: o.scope.kind ?? null, name: o.scope.name, namespace: o.scope.namespace ?? null, field: null, why: 'policy report scope' });
      continue;
    }
    // Gatekeeper constraint status
    if (Array.isArray(o.status?.violations)) {
      for (const v of o.status.violations.slice(0, 5000)) {
        if (typeof v?.name === 'string') kubernetes.push({ kind: v.kind ?? null, name: v.name, namespace: v.namespace ?? null, field: null, why: `Gatekeeper ${o.kind ?? ''}: ${String(v.message ?? '').slice(0, 120)}` });
      }
      continue;
    }
    // A Kubernetes object itself (kubectl get -o yaml), or an admission review's object.
    const obj = o.request?.object ?? o;
    if (typeof obj.kind === 'string' && typeof obj.apiVersion === 'string' && typeof obj.metadata?.name === 'string') {
      kubernetes.push({ kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace ?? null, field: typeof o.field === 'string' ? o.field : privilegedField(obj), why: `${obj.kind} ${obj.metadata.name}` });
    }
  }
  return { kubernetes, terraform, locations };
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : null;
}

const resourceKinds: Record<string, string> = { pods: 'Pod', deployments: 'Deployment', services: 'Service', statefulsets: 'StatefulSet', daemonsets: 'DaemonSet', jobs: 'Job', cronjobs: 'CronJob', configmaps: 'ConfigMap', secrets: 'Secret', ingresses: 'Ingress', replicasets: 'ReplicaSet' };

function kindOfResource(resource: unknown): string | null {
  return typeof resource === 'string' ? (resourceKinds[resource] ?? null) : null;
}

/** The field a privileged-container finding is about, when the object shows one. */
function privilegedField(obj: any): string | null {
  const specs: [string, any][] = [
    ['spec', obj?.spec],
    ['spec.template.spec', obj?.spec?.template?.spec],
    ['spec.jobTemplate.spec.template.spec', obj?.spec?.jobTemplate?.spec?.template?.spec],
  ];
  for (const [prefix, spec] of specs) {
    const containers = Array.isArray(spec?.containers) ? spec.containers : [];
    const i = containers.findIndex((c: any) => c?.securityContext?.privileged === true);
    if (i >= 0) return `${prefix}.containers[${i}].securityContext.privileged`;
  }
  return null;
}

// ---- finding the definition -------------------------------------------------------------------

export interface RepoFiles {
  /** Repository-relative paths. */
  files: string[];
  read(path: string): Promise<string | null>;
}

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
      if (doc.errors?.length) continue;
      const root = doc.contents as YamlNode | null;
      if (!isMap(root)) continue;
      const kind = scalar(root, 'kind');
      const name = scalar(nodeAt(root, ['metadata']), 'name');
      const namespace = scalar(nodeAt(root, ['metadata']), 'namespace');
      const matched = names.find((n) => n.name === name && (!n.kind || !kind || n.kind === kind));
      if (!matched || (ref.namespace && namespace && namespace !== ref.namespace)) continue;
      // Another overlay's copy is another object (its prefix names it differently).
      const inOverlay = matched.overlay !== undefined && path.startsWith(`${matched.overlay}/`);
      if (matched.overlay !== undefined && !inOverlay && affixes.some((a) => dirOf(a.file) !== matched.overlay && path.startsWith(`${dirOf(a.file)}/`))) continue;
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
      hits.push({ path, line, exact, inOverlay, reason: `${ref.why}: ${kind ?? 'object'} ${name}${namespace ? ` in ${namespace}` : ''}${matched.via ? ` (${matched.via})` : ''}, ${where}` });
    }
  }
  // The overlay that names the object beats its base; a file that sets the field beats one that
  // only defines the object.
  return hits.sort((a, b) => Number(b.inOverlay) - Number(a.inOverlay) || Number(b.exact) - Number(a.exact)).map(({ inOverlay: _, ...h }) => h);
}

const templated: Record<string, string> = { Deployment: 'spec.template.', StatefulSet: 'spec.template.', DaemonSet: 'spec.template.', ReplicaSet: 'spec.template.', Job: 'spec.template.', CronJob: 'spec.jobTemplate.spec.template.' };

function podTemplateField(kind: string, field: string): string {
  const prefix = templated[kind];
  return prefix && field.startsWith('spec.') && !field.startsWith(`${prefix}spec.`) && !field.startsWith('spec.template') && !field.startsWith('spec.jobTemplate') && /^spec\.(containers|initContainers|volumes|securityContext|hostNetwork|hostPID|hostIPC|serviceAccountName)/.test(field) ? `${prefix}${field}` : field;
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
      if ((a.prefix || a.suffix) && c.name.startsWith(a.prefix) && c.name.endsWith(a.suffix) && c.name.length > a.prefix.length + a.suffix.length) {
        out.push({ name: c.name.slice(a.prefix.length, c.name.length - a.suffix.length), kind: c.kind, via: `Kustomize ${a.file} names it ${c.name}`, overlay: dirOf(a.file) });
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
function deepest(root: YamlNode | null, path: (string | number)[]): { node: YamlNode | null; value: YamlNode | null; depth: number; steps: number } {
  let node: YamlNode | null = root;
  let keyNode: YamlNode | null = null;
  let depth = 0;
  for (const step of path) {
    if (isMap(node) && typeof step === 'string') {
      const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === step);
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
export async function findTerraform(repo: RepoFiles, ref: TerraformRef): Promise<InfraHit[]> {
  const tf = repo.files.filter((f) => f.endsWith('.tf'));
  const parts = ref.address.replace(/\[[^\]]*\]/g, '').split('.');
  const modules: string[] = [];
  while (parts[0] === 'module' && parts.length > 2) {
    modules.push(parts[1]!);
    parts.splice(0, 2);
  }
  const isData = parts[0] === 'data';
  if (isData) parts.shift();
  const [type, name] = parts as [string, string];
  // Narrow to the module's directory when its source is local.
  let dirs: string[] | null = null;
  for (const mod of modules) {
    const next: string[] = [];
    for (const f of tf.filter((x) => dirs === null || dirs.some((d) => dirOf(x) === d))) {
      const text = (await repo.read(f)) ?? '';
      const block = findBlock(text, `module "${mod}"`);
      const source = block ? /^\s*source\s*=\s*"(\.{1,2}\/[^"]+)"/m.exec(text.slice(block.start, block.end))?.[1] : undefined;
      if (source) next.push(normalise(`${dirOf(f)}/${source}`));
    }
    dirs = next.length ? next : dirs;
  }
  // Without a module prefix the address is in a root module, not in a directory some module uses.
  if (modules.length === 0) {
    const moduleDirs = new Set<string>();
    for (const f of tf) {
      const text = (await repo.read(f)) ?? '';
      for (const m of text.matchAll(/^\s*source\s*=\s*"(\.{1,2}\/[^"]{1,300})"/gm)) moduleDirs.add(normalise(`${dirOf(f)}/${m[1]}`));
    }
    const roots = [...new Set(tf.map(dirOf))].filter((d) => !moduleDirs.has(d));
    if (roots.length) dirs = roots;
  }
  const hits: InfraHit[] = [];
  const header = `${isData ? 'data' : 'resource'} "${type}" "${name}"`;
  for (const f of tf) {
    if (dirs && !dirs.includes(dirOf(f))) continue;
    const text = await repo.read(f);
    if (!text || !text.includes(`"${name}"`)) continue;
    const block = findBlock(text, header);
    if (!block) continue;
    let line = lineAt(text, block.start);
    let exact = false;
    if (ref.attribute) {
      const attr = ref.attribute.split('.').pop()!;
      const inner = text.slice(block.start, block.end);
      const m = new RegExp(`^\\s*${attr.replace(/[^\w-]/g, '')}\\s*[={]`, 'm').exec(inner);
      if (m) {
        line = lineAt(text, block.start + m.index + (m[0].length - m[0].trimStart().length));
        exact = true;
      }
    }
    hits.push({ path: f, line, exact, reason: `${ref.why}: ${header}${modules.length ? ` in module ${modules.join('.')}` : ''}${exact ? `, attribute ${ref.attribute}` : ''}` });
  }
  return hits;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function normalise(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The block that starts with `header` (at the start of a line) and its closing brace. */
function findBlock(text: string, header: string): { start: number; end: number } | null {
  let at = text.indexOf(header);
  while (at >= 0 && at > 0 && text[at - 1] !== '\n' && text.slice(text.lastIndexOf('\n', at) + 1, at).trim() !== '') at = text.indexOf(header, at + 1);
  if (at < 0) return null;
  const open = text.indexOf('{', at);
  if (open < 0) return null;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return { start: at, end: i + 1 };
  }
  return { start: at, end: text.length };
}
