/**
 * What a pasted finding says about where it happened: code locations (stack frames, SARIF
 * results, file/line fields) and what identifies the revision that ran (a commit, an artifact
 * digest, a release, an environment and time). Text is read as a stack trace; JSON as SARIF, a
 * GitHub code-scanning alert, a CDEvents incident or any alert carrying such fields. Walks are
 * bounded in depth and size, so hostile JSON costs bounded time.
 */
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { emptyHints, type FindingInput, type RevisionHints, type TraceLocation } from './findingTypes';
import { terraformAddress, type KubernetesRef } from './infrastructureRefs';
import { codeScanningAlertReader } from './readers/codeScanningAlertReader';
import { infrastructureRefs } from './readers/documentReaders';
import { sarifReader } from './readers/sarifReader';
import { position } from './readers/tolerant';
import { parseStackTrace, type StackFrame } from './stackFrames';
import { githubIds } from '../ingest/githubIds';
import { digestFrom } from '../ingest/values';

export type { FindingInput, RevisionHints, TraceLocation };

const maxNodes = 200_000;
const maxDepth = 64;
const sha = /^[0-9a-f]{40}([0-9a-f]{24})?$/i;
/**
 * An image digest in any written form: `sha256:…`, URL-encoded `sha256%3A…` (CDEvents, purls), after
 * a registry and `@` (`ghcr.io/acme/app@sha256:…`) or in a pod's `imageID`
 * (`docker-pullable://…@sha256:…`); digestFrom gives the one canonical form.
 */
const digestPattern = /sha256(?::|%3a)[0-9a-f]{64}(?![0-9a-f])/i;
const digestKeys = new Set([
  'artifact',
  'digest',
  'image',
  'imageid',
  'image_id',
  'imagedigest',
  'image.digest',
  'container.image.digest',
  'artifactid',
  'purl',
  'subject',
]);

function fromFrames(frames: StackFrame[]): TraceLocation[] {
  return frames.map((f) => ({
    file: f.file,
    line: f.line,
    column: f.column,
    function: f.function,
    source: 'frame',
    index: f.index,
    language: f.language,
    raw: f.raw,
    ...(f.sourceText ? { sourceText: f.sourceText } : {}),
  }));
}

/** Reads whatever was pasted. Never throws on content; only sizes beyond reason are refused by the caller. */
export function readFindingInput(text: string): FindingInput {
  const trimmed = text.trim();
  const ref = /^(?:lineage-finding:|https?:\/\/\S+\/v1\/findings\/)(\S+)$/.exec(trimmed);
  if (ref)
    return {
      kind: 'finding-reference',
      locations: [],
      kubernetes: [],
      terraform: [],
      hints: { ...emptyHints(), findingId: decodeURIComponent(ref[1]!) },
      messages: [],
    };
  // A code-scanning alert's page on GitHub: the alert under the id webhooks and direct mode give it.
  const alert = /^https:\/\/[^/\s]+\/([\w.-]+)\/([\w.-]+)\/(?:security\/)?code-scanning\/(\d+)\/?(?:[?#]\S*)?$/.exec(trimmed);
  if (alert)
    return {
      kind: 'finding-reference',
      locations: [],
      kubernetes: [],
      terraform: [],
      hints: { ...emptyHints(), findingId: githubIds.codeScanningAlert(`${alert[1]}/${alert[2]}`, alert[3]!) },
      messages: [],
    };
  const address = terraformAddress(trimmed);
  if (address)
    return {
      kind: 'terraform',
      locations: [],
      kubernetes: [],
      terraform: [{ address, attribute: null, why: `resource ${address}` }],
      hints: emptyHints(),
      messages: [],
    };
  const object = kubernetesReference(trimmed);
  if (object) return { kind: 'kubernetes', locations: [], kubernetes: [object], terraform: [], hints: emptyHints(), messages: [] };
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      json = undefined; // not JSON after all (or nested beyond the parser's stack): read as text
    }
    if (json !== undefined) return withInfrastructure(fromJson(json), json);
  }
  if (/^(apiVersion|kind):/m.test(trimmed.slice(0, 10_000))) {
    const docs = yamlDocuments(trimmed);
    if (docs.length) {
      const read = withInfrastructure(
        { kind: 'unknown', locations: [], kubernetes: [], terraform: [], hints: emptyHints(), messages: [] },
        docs,
      );
      if (read.kubernetes.length || read.locations.length) return read;
    }
  }
  return fromText(text);
}

/**
 * YAML is read document by document, up to 256 KB of them: the parser costs microseconds a
 * character (a megabyte of one document takes seconds), and a pasted manifest or event is a few
 * kilobytes. Duplicate keys are not checked, which costs time quadratic in a map's size.
 */
const yamlBudget = 256 * 1024;

function yamlDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let used = 0;
  for (const part of text.split(/^---[^\S\n]*$/m)) {
    used += part.length;
    if (used > yamlBudget) break;
    try {
      for (const d of parseAllDocuments(part, { uniqueKeys: false })) {
        const value: unknown = 'toJS' in d && !d.errors.length ? d.toJS({ maxAliasCount: 100 }) : null;
        if (value && typeof value === 'object') docs.push(value);
      }
    } catch {
      // not YAML after all: the rest of the reading takes over
    }
  }
  return docs;
}

/** "Deployment/shop/web spec.template.spec.containers[0].securityContext.privileged", or without a namespace or field. */
function kubernetesReference(text: string): KubernetesRef | null {
  const m = /^([A-Z][A-Za-z]{1,40})\/(?:([a-z0-9][a-z0-9.-]{0,62})\/)?([a-z0-9][a-z0-9.-]{0,252})(?:\s+([\w.[\]-]{1,300}))?$/.exec(text);
  return m ? { kind: m[1]!, namespace: m[2] ?? null, name: m[3]!, field: m[4] ?? null, why: `${m[1]} ${m[3]}` } : null;
}

/** Adds the Kubernetes objects, Terraform resources and scanner locations a document names. */
function withInfrastructure(input: FindingInput, value: unknown): FindingInput {
  const refs = infrastructureRefs(value);
  const locations = [
    ...input.locations,
    ...refs.locations.map((l, i): TraceLocation => ({
      file: l.file,
      line: l.line,
      column: null,
      function: null,
      source: 'field',
      index: input.locations.length + i,
      language: null,
      raw: l.why,
    })),
  ];
  let kind = input.kind;
  if (refs.kubernetes.length) kind = 'kubernetes';
  else if (refs.terraform.length) kind = 'terraform';
  else if (refs.locations.length && (kind === 'json-alert' || kind === 'unknown')) kind = 'scanner-report';
  return { ...input, kind, locations, kubernetes: refs.kubernetes, terraform: refs.terraform };
}

function fromText(text: string): FindingInput {
  const trace = parseStackTrace(text);
  let locations = fromFrames(trace.frames);
  if (locations.length === 0) locations = bareLocations(text);
  const hints = emptyHints();
  const commit = /\b(?:commit|revision|sha)[=: ]+([0-9a-f]{40})\b/i.exec(text.slice(0, 100_000));
  if (commit) hints.commit = commit[1]!.toLowerCase();
  const digest = digestPattern.exec(text.slice(0, 100_000));
  if (digest) hints.artifact = digestFrom(digest[0]);
  return { kind: locations.length ? 'stack-trace' : 'unknown', locations, kubernetes: [], terraform: [], hints, messages: trace.messages };
}

/** "src/app.js:42" or "src/app.js:42:7" tokens, for pastes that are not traces at all. */
function bareLocations(text: string): TraceLocation[] {
  const out: TraceLocation[] = [];
  const re = /(?:^|[\s(["'])([\w@~+-][\w@~+./-]{0,300}\.[A-Za-z]{1,8}):(\d{1,7})(?::(\d{1,7}))?/g;
  for (const m of text.slice(0, 1_000_000).matchAll(re)) {
    out.push({
      file: m[1]!,
      line: Number(m[2]),
      column: m[3] ? Number(m[3]) : null,
      function: null,
      source: 'field',
      index: out.length,
      language: null,
      raw: m[0].trim(),
    });
    if (out.length >= 1000) break;
  }
  return out;
}

function fromJson(json: unknown): FindingInput {
  const read = sarifReader(json) ?? codeScanningAlertReader(json);
  if (read) return read;
  const isIncident = CdEventsIncident.safeParse(json).success;
  return walkAlert(json, isIncident ? 'cdevents-incident' : 'json-alert');
}

/** A CDEvents incident (detected or reported): read like any alert, under its own name. */
const CdEventsIncident = z.looseObject({ context: z.looseObject({ type: z.string().regex(/incident\.(detected|reported)/) }) });

const commitKeys = new Set([
  'git.commit.sha',
  'vcs.ref.head.revision',
  'commit',
  'commit_sha',
  'commitsha',
  'revision',
  'git_commit',
  'sha',
]);
const fileKeys = new Set(['code.file.path', 'code.filepath', 'file', 'filename', 'path', 'file_path']);
const lineKeys = new Set(['code.line.number', 'code.lineno', 'line', 'lineno', 'line_number', 'start_line']);

/** Any JSON alert: collects location, revision and stack-trace fields wherever they sit. */
function walkAlert(json: unknown, kind: FindingInput['kind']): FindingInput {
  const hints = emptyHints();
  const locations: TraceLocation[] = [];
  const messages: string[] = [];
  let nodes = 0;
  const visit = (value: unknown, depth: number, key: string): void => {
    if (++nodes > maxNodes || depth > maxDepth) return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1, key);
      return;
    }
    if (value && typeof value === 'object') {
      const rec = value as Record<string, unknown>;
      let file: string | null = null;
      let line: number | null = null;
      for (const [k, v] of Object.entries(rec)) {
        const lk = k.toLowerCase();
        if (typeof v === 'string' && fileKeys.has(lk) && /\.[A-Za-z0-9]{1,8}$/.test(v)) file = v;
        if (lineKeys.has(lk)) line = position.parse(v) ?? line;
      }
      if (file)
        locations.push({
          file,
          line,
          column: null,
          function: null,
          source: 'field',
          index: locations.length,
          language: null,
          raw: `${file}:${line ?? ''}`,
        });
      for (const [k, v] of Object.entries(rec)) visit(v, depth + 1, k.toLowerCase());
      return;
    }
    if (typeof value !== 'string') return;
    if (commitKeys.has(key) && sha.test(value)) hints.commit ??= value.toLowerCase();
    else if (digestKeys.has(key) && digestPattern.test(value)) hints.artifact ??= digestFrom(digestPattern.exec(value)![0]);
    else if ((key === 'release' || key === 'version' || key === 'service.version') && value.length < 200) hints.release ??= value;
    else if ((key === 'environment' || key === 'env' || key === 'deployment.environment') && value.length < 200)
      hints.environment ??= value;
    else if ((key === 'timestamp' || key === 'time' || key === 'detectedat' || key === '@timestamp') && !Number.isNaN(Date.parse(value)))
      hints.time ??= value;
    else if (value.length > 20 && /\n\s*(at |File "|\S+\.go:\d)/.test(value)) {
      const frames = fromFrames(parseStackTrace(value).frames);
      for (const f of frames) locations.push({ ...f, index: locations.length });
    } else if ((key === 'message' || key === 'description' || key === 'title') && messages.length < 5) messages.push(value.slice(0, 300));
  };
  visit(json, 0, '');
  return { kind, locations, kubernetes: [], terraform: [], hints, messages };
}
