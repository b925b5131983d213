/**
 * Ingest endpoints. Each turns its body into normalised events first and writes nothing unless
 * every event in it is valid (a batch is all or nothing); then one write stores them durably.
 */
import type { IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { isAlertmanagerNotification, normalizeAlertmanager } from '../../core/ingest/alertmanager';
import { argoApplicationIn, normalizeArgoApplication } from '../../core/ingest/argocd';
import { isCdEvent, normalizeCdEvent } from '../../core/ingest/cdevents';
import { exceptionsOnly, isOtlpExport, normalizeOtlp } from '../../core/ingest/otlp/otlp';
import { decodeOtlpProtobuf, type OtlpSignal } from '../../core/ingest/otlp/otlpDecode';
import {
  cdEventOf,
  cloudEventsOf,
  isCloudEventsRequest,
  isStructuredCloudEvent,
  structuredCloudEvent,
} from '../../core/ingest/cloudEvents';
import { InvalidEventError, type NormalizedEvent } from '../../core/ingest/facts';
import { checkFactLimits } from '../../core/ingest/factLimits';
import { isReadGithubEvent, normalizeGithubEvent } from '../../core/ingest/github';
import { isReadGitlabEvent, normalizeGitlabEvent } from '../../core/ingest/gitlab';
import type { AttestationTrust } from '../../core/ingest/attestationTrust';
import { isInToto, normalizeInToto } from '../../core/ingest/intoto';
import { isNativeEvent, normalizeNative } from '../../core/ingest/native';
import { isSarif, normalizeSarif } from '../../core/ingest/sarif';
import { isObject, type Json, repoFrom, sha } from '../../core/ingest/values';
import type { IngestResult } from '../../core/model/api';
import type { EventSink } from '../store/eventWriter';
import type { VerifiedClaims } from './oidc';
import { verifyGithubSignature } from './auth';
import { type FieldIssue, ProblemError, badRequest, invalid } from './problem';
import { parseJson, parseJsonLines, queryParam } from './request';

export const maxEventsPerBatch = 10_000;

/** Normalises every document, collecting the errors of all of them before refusing the batch. */
function normalizeAll(
  docs: unknown[],
  each: (doc: unknown, raw: string, index: number) => NormalizedEvent,
  single: string | null,
): NormalizedEvent[] {
  if (docs.length > maxEventsPerBatch) {
    throw new ProblemError(
      413,
      'batch-too-large',
      'Batch too large',
      `at most ${maxEventsPerBatch} events per request; got ${docs.length}`,
    );
  }
  const events: NormalizedEvent[] = [];
  const errors: FieldIssue[] = [];
  docs.forEach((doc, i) => {
    const prefix = single === null ? `/${i}` : '';
    try {
      const event = each(doc, single ?? JSON.stringify(doc), i);
      checkFactLimits(event);
      events.push(event);
    } catch (e) {
      if (!InvalidEventError.is(e)) throw e;
      errors.push(...e.within(prefix).issues);
    }
  });
  if (errors.length > 0) {
    const where =
      single === null ? `${new Set(errors.map((e) => e.pointer.split('/')[1])).size} of ${docs.length} events are` : 'the event is';
    throw invalid(`${where} invalid; nothing was stored`, errors);
  }
  return events;
}

function documents(body: unknown, text: string): { docs: unknown[]; single: string | null } {
  return Array.isArray(body) ? { docs: body, single: null } : { docs: [body], single: text };
}

export function toResult(written: { key: string; format: string; status: 'stored' | 'duplicate' }[]): IngestResult {
  const accepted = written.filter((w) => w.status === 'stored').length;
  return { accepted, duplicates: written.length - accepted, events: written };
}

/**
 * POST /v1/events: CDEvents (bare, or in CloudEvents: binary mode with `ce-*` headers, structured
 * mode and batches) and native events, one or a JSON array.
 */
export async function ingestEvents(req: IncomingMessage, text: string, writer: EventSink, claims?: VerifiedClaims): Promise<IngestResult> {
  if (claims) return ingestVerifiedDeployments(text, writer, claims);
  if (isCloudEventsRequest(req.headers)) {
    parseJson(text); // the body's syntax and depth, checked before the SDK parses it
    let envelopes: ReturnType<typeof cloudEventsOf>;
    try {
      envelopes = cloudEventsOf(req.headers, text);
    } catch (e) {
      if (InvalidEventError.is(e)) throw invalid('the CloudEvent is invalid; nothing was stored', e.issues);
      throw e;
    }
    const batch = envelopes.length !== 1 || /batch/i.test(String(req.headers['content-type']));
    const events = normalizeAll(
      envelopes,
      (envelope) => {
        const { cdevent, raw } = cdEventOf(envelope as never);
        return normalizeCdEvent(cdevent, raw);
      },
      batch ? null : text,
    );
    return toResult(await writer.write(events));
  }
  const { docs, single } = documents(parseJson(text), text);
  const events = normalizeAll(
    docs,
    (doc, raw) => {
      if (!isObject(doc)) throw new InvalidEventError('', 'an event must be a JSON object');
      if (isCdEvent(doc)) return normalizeCdEvent(doc, raw);
      if (isStructuredCloudEvent(doc)) {
        const { cdevent, raw: inner } = cdEventOf(structuredCloudEvent(doc));
        return normalizeCdEvent(cdevent, inner);
      }
      if (doc.verifiedBy !== undefined) {
        throw new InvalidEventError('/verifiedBy', 'set by the service from a verified OIDC token, never accepted from a sender');
      }
      if (isNativeEvent(doc) || typeof doc.type === 'string') return normalizeNative(doc, raw);
      if (isSarif(doc)) throw new InvalidEventError('', 'this is a SARIF log; send it to POST /v1/sarif');
      if (isInToto(doc)) throw new InvalidEventError('', 'this is an in-toto attestation; send it to POST /v1/attestations');
      throw new InvalidEventError(
        '',
        'unrecognised event: expected a CDEvent (context.type "dev.cdevents.…"), a CloudEvent carrying one, or a native event with "type" and "id"',
      );
    },
    single,
  );
  return toResult(await writer.write(events));
}

/**
 * Deployments sent with a CI job's verified OIDC token: only native deployment events, each of the
 * repository, commit and environment the token names (where it names them); the claims are stored
 * with them. One that contradicts its token is refused whole.
 */
async function ingestVerifiedDeployments(text: string, writer: EventSink, claims: VerifiedClaims): Promise<IngestResult> {
  const { docs, single } = documents(parseJson(text), text);
  const verifiedBy = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== null));
  const events = normalizeAll(
    docs,
    (doc) => {
      if (!isObject(doc) || doc.type !== 'deployment') {
        throw new InvalidEventError('/type', 'an OIDC token sends deployments only (native events of type "deployment")');
      }
      const contradicts = (
        [
          ['repo', claims.repository],
          ['commit', claims.sha],
          ['environment', claims.environment],
        ] as const
      ).filter(([field, claimed]) => claimed !== null && doc[field] !== claimed);
      if (contradicts.length > 0) {
        throw new ProblemError(
          403,
          'oidc-claims-mismatch',
          'The deployment contradicts its token',
          contradicts
            .map(([field, claimed]) => `${field} is ${JSON.stringify(doc[field] ?? null)}, the token says ${JSON.stringify(claimed)}`)
            .join('; '),
        );
      }
      const stored = { ...doc, verifiedBy };
      return normalizeNative(stored, JSON.stringify(stored));
    },
    single,
  );
  return toResult(await writer.write(events));
}

export interface GithubOptions {
  secret?: string;
}

/** POST /v1/webhooks/github: a delivery as GitHub sends it (JSON or form-encoded `payload=`). */
export async function ingestGithub(req: IncomingMessage, body: Buffer, writer: EventSink, options: GithubOptions): Promise<IngestResult> {
  if (options.secret && !verifyGithubSignature(body, header(req, 'x-hub-signature-256'), options.secret)) {
    throw new ProblemError(
      401,
      'bad-signature',
      'Signature mismatch',
      'X-Hub-Signature-256 is missing or does not match the configured webhook secret',
    );
  }
  const event = header(req, 'x-github-event');
  if (!event) throw badRequest('the X-GitHub-Event header is required', [{ pointer: 'header:X-GitHub-Event', reason: 'required' }]);
  let text = body.toString('utf8');
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    text = new URLSearchParams(text).get('payload') ?? '';
  }
  const payload = parseJson(text);
  if (!isObject(payload)) throw invalid('a webhook payload must be a JSON object');
  const [normalized] = normalizeAll([payload], (doc) => normalizeGithubEvent(event, doc as never, text), text);
  const result = toResult(await writer.write([normalized!]));
  // "Send me everything" must not fill GitHub's delivery log with failures.
  return isReadGithubEvent(event) ? result : { ...result, ignored: true };
}

/** POST /v1/webhooks/gitlab: a delivery as GitLab sends it (X-Gitlab-Event names the event). */
export async function ingestGitlab(req: IncomingMessage, body: Buffer, writer: EventSink): Promise<IngestResult> {
  const event = header(req, 'x-gitlab-event');
  if (!event) throw badRequest('the X-Gitlab-Event header is required', [{ pointer: 'header:X-Gitlab-Event', reason: 'required' }]);
  const text = body.toString('utf8');
  const payload = parseJson(text);
  if (!isObject(payload)) throw invalid('a webhook payload must be a JSON object');
  const [normalized] = normalizeAll([payload], (doc) => normalizeGitlabEvent(doc as Json, text, event), text);
  const result = toResult(await writer.write([normalized!]));
  // Hooks that send every event must not fill GitLab's "Recent events" with failures.
  return isReadGitlabEvent(event) ? result : { ...result, ignored: true };
}

/** POST /v1/webhooks/argocd: an Application as Argo CD's notifications send it (`{{toJson .app}}`). */
export async function ingestArgocd(text: string, writer: EventSink): Promise<IngestResult> {
  const body = parseJson(text);
  const app = argoApplicationIn(body);
  if (!app) throw invalid('the body is not an Argo CD Application (apiVersion argoproj.io/…, kind Application), nor one under "app"');
  // What is stored is the Application, so that its verification reads the same object back.
  const raw = app === body ? text : JSON.stringify(app);
  const [event] = normalizeAll([app], (doc) => normalizeArgoApplication(doc as never, raw), raw);
  return toResult(await writer.write([event!]));
}

/** POST /v1/webhooks/alertmanager: Alertmanager's webhook notification (version 4), a finding per alert. */
export async function ingestAlertmanager(text: string, writer: EventSink): Promise<IngestResult> {
  const body = parseJson(text);
  if (!isAlertmanagerNotification(body))
    throw invalid('the body is not an Alertmanager webhook notification (expected "alerts" and "groupKey")');
  const [event] = normalizeAll([body], (doc) => normalizeAlertmanager(doc as never, text), text);
  return toResult(await writer.write([event!]));
}

/**
 * POST /v1/otlp/v1/logs and /v1/otlp/v1/traces: OTLP/HTTP export requests, protobuf or JSON,
 * gzip-compressed or not. Only the records that carry an exception are kept (with their resource
 * and scope): they are the findings; an export without one is acknowledged and stores nothing.
 */
export async function ingestOtlp(signal: OtlpSignal, req: IncomingMessage, body: Buffer, writer: EventSink, maxBytes: number) {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/x-protobuf') {
    throw new ProblemError(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      `OTLP/HTTP is application/x-protobuf or application/json, not ${type || 'none'}`,
    );
  }
  let bytes = body;
  if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
    try {
      bytes = gunzipSync(body, { maxOutputLength: maxBytes });
    } catch (e) {
      throw badRequest(`the gzip body does not decompress within ${maxBytes} bytes: ${(e as Error).message}`);
    }
  }
  let request: unknown;
  if (type === 'application/x-protobuf') {
    try {
      request = decodeOtlpProtobuf(signal, bytes);
    } catch (e) {
      throw badRequest(`the body is not an OTLP ${signal} export request in protobuf: ${(e as Error).message}`);
    }
  } else request = parseJson(bytes.toString('utf8'));
  if (!isObject(request) || !isOtlpExport(request))
    throw invalid(`the body is not an OTLP ${signal} export request (resourceLogs or resourceSpans)`);
  const kept = exceptionsOnly(request);
  if (!kept) return { result: toResult([]), protobuf: type === 'application/x-protobuf' };
  const raw = JSON.stringify(kept);
  const [event] = normalizeAll([kept], (doc) => normalizeOtlp(doc as never, raw), raw);
  return { result: toResult(await writer.write([event!])), protobuf: type === 'application/x-protobuf' };
}

/** POST /v1/sarif?repo=&commit=&environment= */
export async function ingestSarif(url: URL, text: string, writer: EventSink): Promise<IngestResult> {
  const repoParam = queryParam(url, 'repo');
  const commitParam = queryParam(url, 'commit');
  const repo = repoParam === undefined ? null : repoFrom(repoParam);
  if (repoParam !== undefined && !repo)
    throw badRequest('repo must be owner/name', [{ pointer: 'query:repo', reason: 'expected owner/name' }]);
  const commit = commitParam === undefined ? null : sha(commitParam);
  if (commitParam !== undefined && !commit) {
    throw badRequest('commit must be a full hex SHA', [{ pointer: 'query:commit', reason: 'expected 40 or 64 hex digits' }]);
  }
  const log = parseJson(text);
  if (!isObject(log) || !isSarif(log)) throw invalid('the body is not a SARIF log (expected "version" and "runs")');
  const ctx = { repo, commit, environment: queryParam(url, 'environment') ?? null, receivedAt: new Date().toISOString() };
  const [event] = normalizeAll([log], (doc) => normalizeSarif(doc as never, text, ctx), text);
  return toResult(await writer.write([event!]));
}

/** POST /v1/attestations: statements, DSSE envelopes, Sigstore bundles; JSON, an array, or JSON Lines. */
export async function ingestAttestations(
  req: IncomingMessage,
  text: string,
  writer: EventSink,
  trust: AttestationTrust,
): Promise<IngestResult> {
  const type = req.headers['content-type'] ?? '';
  let parsed: unknown;
  if (/ndjson|jsonl/.test(type)) parsed = parseJsonLines(text);
  else {
    try {
      parsed = JSON.parse(text);
    } catch {
      // A `.intoto.jsonl` file holds one document a line.
      parsed = text.trim().includes('\n') ? parseJsonLines(text) : parseJson(text);
    }
  }
  const { docs, single } = Array.isArray(parsed) ? { docs: parsed, single: null } : documents(parsed, text);
  const events = normalizeAll(
    docs,
    (doc, raw) => {
      if (!isObject(doc) || !isInToto(doc)) {
        throw new InvalidEventError('', 'expected an in-toto statement, a DSSE envelope or a Sigstore bundle');
      }
      return normalizeInToto(doc, raw, trust);
    },
    single,
  );
  return toResult(await writer.write(events));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
