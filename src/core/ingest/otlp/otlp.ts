/**
 * Runtime errors from OpenTelemetry: OTLP log records and span events that carry an exception
 * (`exception.type`, `exception.message`, `exception.stacktrace`; the semantic conventions'
 * exception attributes) become findings of kind error.
 *
 * - One exception seen again is one finding, counted: its id is a hash of the service, the
 *   exception type and the top frames of its stack, and each record is an occurrence.
 * - What it ran on comes from the resource, as the semantic conventions name it:
 *   `vcs.ref.head.revision` (the commit), `vcs.repository.url.full` (the repository),
 *   `service.version` (a release, or the commit when it is a full SHA), `container.image.id` or
 *   `oci.manifest.digest` (the artifact, whose build names its commit),
 *   `deployment.environment.name` (or the older `deployment.environment`), `service.name`.
 * - The stack is kept as the finding's detail; `lineage trace <finding id>` reads it against the
 *   revision the finding names and lands each frame on today's line.
 */
import { type Fact, type FindingFact, InvalidEventError, type NormalizedEvent, rankOf } from '../facts';
import { at, digestFrom, isObject, repoFrom, sha, sha256Hex, contentKey, type Json } from '../values';

type Attributes = Map<string, string>;

export function isOtlpExport(doc: unknown): boolean {
  return isObject(doc) && (Array.isArray(doc.resourceLogs) || Array.isArray(doc.resourceSpans));
}

export function normalizeOtlp(request: Json, raw: string): NormalizedEvent {
  const { key, rawSha256 } = contentKey('otlp', raw);
  const facts: Fact[] = [];
  const add = (resource: Attributes, attributes: Attributes, time: string | null, severity: string, where: string, ord: number) => {
    const type = attributes.get('exception.type');
    const message = attributes.get('exception.message');
    if (!type && !message) return;
    facts.push(finding(resource, attributes, time, severity, `${key}#${where}`, ord, key));
  };
  const resourceLogs = arrayAt(request, 'resourceLogs');
  const resourceSpans = arrayAt(request, 'resourceSpans');
  if (!resourceLogs && !resourceSpans) throw new InvalidEventError('', 'expected an OTLP export request: resourceLogs or resourceSpans');
  let ord = 0;
  (resourceLogs ?? []).forEach((rl, i) => {
    const resource = attributesOf(at(rl, 'resource'));
    (arrayAt(rl, 'scopeLogs') ?? []).forEach((sl, j) => {
      (arrayAt(sl, 'logRecords') ?? []).forEach((record, k) => {
        const attributes = attributesOf(record);
        add(
          resource,
          attributes,
          nanosToIso(at(record, 'timeUnixNano')) ?? nanosToIso(at(record, 'observedTimeUnixNano')),
          severityOf(at(record, 'severityNumber')),
          `${i}/${j}/${k}`,
          ord++,
        );
      });
    });
  });
  (resourceSpans ?? []).forEach((rs, i) => {
    const resource = attributesOf(at(rs, 'resource'));
    (arrayAt(rs, 'scopeSpans') ?? []).forEach((ss, j) => {
      (arrayAt(ss, 'spans') ?? []).forEach((span, k) => {
        (arrayAt(span, 'events') ?? []).forEach((event, e) => {
          if (at(event, 'name') !== 'exception') return;
          add(resource, attributesOf(event), nanosToIso(at(event, 'timeUnixNano')), 'high', `${i}/${j}/${k}/${e}`, ord++);
        });
      });
    });
  });
  return { key, format: 'otlp', raw, facts, rawSha256 };
}

function finding(
  resource: Attributes,
  attributes: Attributes,
  time: string | null,
  severity: string,
  occurrence: string,
  ord: number,
  key: string,
): FindingFact & { rank: string } {
  const type = attributes.get('exception.type') ?? 'Error';
  const message = attributes.get('exception.message') ?? '';
  const stack = attributes.get('exception.stacktrace') ?? null;
  const service = resource.get('service.name') ?? null;
  const version = resource.get('service.version') ?? null;
  const revision = sha(resource.get('vcs.ref.head.revision')) ?? sha(resource.get('vcs.revision')) ?? sha(version);
  const digest = digestFrom(resource.get('oci.manifest.digest')) ?? digestFrom(resource.get('container.image.id'));
  const id = `otlp:${sha256Hex([service ?? '', type, stackSignature(stack) ?? message].join('\u0000')).slice(0, 32)}`;
  return {
    table: 'findings',
    // Each occurrence reports the finding anew; the latest one's values win.
    rank: rankOf(time, ord % 1000, key),
    row: {
      id,
      repo: repoFrom(resource.get('vcs.repository.url.full') ?? resource.get('vcs.repository.name') ?? null),
      kind: 'error',
      severity,
      title: `${type}${message ? `: ${message}` : ''}`.slice(0, 512),
      status: 'open',
      environment: resource.get('deployment.environment.name') ?? resource.get('deployment.environment') ?? null,
      service,
      artifact_digest: digest,
      commit_sha: revision,
      release: version && !sha(version) ? version : null,
      rule_id: type,
      tool: 'opentelemetry',
      url: null,
      detected_at: time,
      detail: stack,
    },
    locations: [],
    occurrence: { id: occurrence, at: time },
  };
}

/** The frames that say where it happened: the stack's first lines that name a file and line, without the message. */
function stackSignature(stack: string | null): string | null {
  if (!stack) return null;
  const frames = stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^at |^File "|\.\w+:\d+/.test(l))
    .slice(0, 8);
  return frames.length > 0 ? frames.join('\n') : null;
}

/** OTLP severity numbers: 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal. */
function severityOf(n: unknown): string {
  const v = Number(n);
  if (v >= 21) return 'critical';
  if (v >= 17 || !v) return 'high';
  if (v >= 13) return 'medium';
  return 'low';
}

function nanosToIso(v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const text = String(v);
  if (!/^\d{1,22}$/.test(text) || /^0+$/.test(text)) return null;
  const ms = Number(BigInt(text) / 1_000_000n);
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function arrayAt(v: unknown, key: string): unknown[] | null {
  const a = at(v, key);
  return Array.isArray(a) ? a : null;
}

/** `attributes: [{ key, value: AnyValue }]` as strings (scalars; arrays and maps as JSON). */
function attributesOf(holder: unknown): Attributes {
  const out: Attributes = new Map();
  for (const kv of arrayAt(holder, 'attributes') ?? []) {
    const key = at(kv, 'key');
    const value = anyValue(at(kv, 'value'));
    if (typeof key === 'string' && value !== null) out.set(key, value);
  }
  return out;
}

function anyValue(v: unknown): string | null {
  if (!isObject(v)) return null;
  for (const k of ['stringValue', 'intValue', 'doubleValue', 'boolValue']) {
    const scalar = v[k];
    if (typeof scalar === 'string' || typeof scalar === 'number' || typeof scalar === 'boolean') return String(scalar).slice(0, 65536);
  }
  if (v.arrayValue !== undefined || v.kvlistValue !== undefined) return JSON.stringify(v.arrayValue ?? v.kvlistValue).slice(0, 65536);
  return null;
}

/**
 * The export reduced to what carries an exception, with its resource and scope: what is stored
 * and chained. Null when nothing does.
 */
export function exceptionsOnly(request: Json): Json | null {
  const carries = (holder: unknown) => {
    const keys = (arrayAt(holder, 'attributes') ?? []).map((kv) => at(kv, 'key'));
    return keys.includes('exception.type') || keys.includes('exception.message');
  };
  const resourceLogs = (arrayAt(request, 'resourceLogs') ?? [])
    .map((rl) => ({
      ...(rl as Json),
      scopeLogs: (arrayAt(rl, 'scopeLogs') ?? [])
        .map((sl) => ({ ...(sl as Json), logRecords: (arrayAt(sl, 'logRecords') ?? []).filter(carries) }))
        .filter((sl) => sl.logRecords.length > 0),
    }))
    .filter((rl) => rl.scopeLogs.length > 0);
  const resourceSpans = (arrayAt(request, 'resourceSpans') ?? [])
    .map((rs) => ({
      ...(rs as Json),
      scopeSpans: (arrayAt(rs, 'scopeSpans') ?? [])
        .map((ss) => ({
          ...(ss as Json),
          spans: (arrayAt(ss, 'spans') ?? [])
            .map((span) => ({
              ...(span as Json),
              events: (arrayAt(span, 'events') ?? []).filter((e) => at(e, 'name') === 'exception' && carries(e)),
            }))
            .filter((span) => span.events.length > 0),
        }))
        .filter((ss) => ss.spans.length > 0),
    }))
    .filter((rs) => rs.scopeSpans.length > 0);
  if (resourceLogs.length === 0 && resourceSpans.length === 0) return null;
  return { ...(resourceLogs.length > 0 ? { resourceLogs } : {}), ...(resourceSpans.length > 0 ? { resourceSpans } : {}) };
}
