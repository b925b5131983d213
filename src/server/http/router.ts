/**
 * The service's routes (docs/openapi.yaml). Responses are built from the zod-typed domain shapes
 * the client validates against; with `validateResponses` (on in the test suite) each one is also
 * checked before it is sent. GET responses carry an ETag and answer If-None-Match with 304.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { Checkpoint } from '../../core/audit/chain';
import type { AttestationTrust } from '../../core/ingest/attestationTrust';
import {
  ArtifactResponse,
  AuditEntries,
  AuditEvents,
  AuditRange,
  AuditVerification,
  DeploymentsPage,
  EnvironmentsResponse,
  FindingsResponse,
  Health,
  IngestResult,
  LineageRequest,
  LineageResponse,
  StoredEvent,
} from '../../core/model/api';
import { Deployment, Finding } from '../../core/model/domain';
import { Digest, RepoSlug } from '../../core/model/primitives';
import { zodToInvalid } from '../../core/ingest/native';
import type { CheckpointSigner } from '../audit/signer';
import { verifyStore } from '../audit/verification';
import type { Database } from '../store/database';
import type { OtlpSignal } from '../../core/ingest/otlp/otlpDecode';
import type { EventSink } from '../store/eventWriter';
import { Queries } from '../store/queries';
import { type AccessConfig, authorize, bearerIs, bearerToken, checkLocalRequest, gitlabTokenIs } from './auth';
import { OidcVerifier, type VerifiedClaims } from './oidc';
import {
  ingestAlertmanager,
  ingestArgocd,
  ingestAttestations,
  ingestOtlp,
  ingestEvents,
  ingestGithub,
  ingestGitlab,
  ingestSarif,
} from './ingestHandlers';
import { ProblemError, badRequest, notFound, sendProblem } from './problem';
import { OwnershipConflict } from '../store/factWriter';
import { checkContentType, parseJson, pathSegment, queryParam, readBody } from './request';

export interface AppContext {
  db: Database;
  signer: CheckpointSigner;
  writer: EventSink;
  access: AccessConfig;
  githubSecret?: string;
  argocdToken?: string;
  /** The secret GitLab's webhooks send as X-Gitlab-Token. */
  gitlabToken?: string;
  /** Verifies CI jobs' OIDC tokens sent instead of the write token to POST /v1/events. */
  oidc?: OidcVerifier;
  /** What attestation signatures are verified against (none: signed ones are "unverified"). */
  attestationTrust: AttestationTrust;
  maxBodyBytes: number;
  version: string;
  /** Check every response against its schema before sending (tests; costs time on large answers). */
  validateResponses: boolean;
  log: (message: string) => void;
}

/**
 * A handler's answer: JSON checked against its schema, or bytes encoded already (OTLP's protobuf,
 * JSON a cache keeps), in pieces written one after another.
 */
type Handler = (
  req: IncomingMessage,
  url: URL,
  params: string[],
) => Promise<{ schema: z.ZodType; body: unknown; encoded?: { contentType: string; pieces: Buffer[] } }>;

interface Route {
  /** Takes a verified OIDC token in place of the write token (deployments only). */
  oidc?: true;
  method: 'GET' | 'POST';
  pattern: RegExp;
  /** argocd: the write token, or the Argo CD token that opens this route alone; gitlab: X-Gitlab-Token, or the write token. */
  access: 'read' | 'write' | 'open' | 'webhook' | 'argocd' | 'gitlab';
  handler: Handler;
}

/** The content type of every JSON answer. */
const jsonType = 'application/json; charset=utf-8';
const segment = '([^/]+)';
const statuses = ['open', 'resolved', 'suppressed'];

/** The verified claims of a request that came with a CI job's OIDC token. */
const oidcClaims = new WeakMap<IncomingMessage, VerifiedClaims>();

export function createRouter(ctx: AppContext): (req: IncomingMessage, res: ServerResponse) => void {
  const queries = new Queries(ctx.db);
  const body = async (req: IncomingMessage) => {
    checkContentType(req);
    return readBody(req, ctx.maxBodyBytes);
  };
  const repoOf = (owner: string, name: string) => {
    const repo = `${pathSegment(owner, 'owner')}/${pathSegment(name, 'name')}`;
    if (!RepoSlug.safeParse(repo).success) throw badRequest(`"${repo}" is not a repository in owner/name (or group/subgroup/name) form`);
    return repo;
  };
  const limitOf = (url: URL, fallback: number, max: number) => {
    const raw = queryParam(url, 'limit');
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw badRequest(`limit must be an integer from 1 to ${max}`, [{ pointer: 'query:limit', reason: `expected 1..${max}` }]);
    }
    return n;
  };

  const intParam = (url: URL, name: string, min: number, max: number): number | undefined => {
    const raw = queryParam(url, name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw badRequest(`${name} must be an integer from ${min} to ${max}`, [
        { pointer: `query:${name}`, reason: `expected ${min}..${max}` },
      ]);
    }
    return n;
  };
  let verifying: Promise<AuditVerification> | null = null;
  const otlp = async (signal: OtlpSignal, req: IncomingMessage) => {
    const { result, protobuf } = await ingestOtlp(signal, req, await readBody(req, ctx.maxBodyBytes), ctx.writer, ctx.maxBodyBytes);
    // OTLP/HTTP answers in the request's encoding: an empty Export…ServiceResponse in protobuf is
    // no bytes; in JSON, fields an OTLP client does not know are ignored.
    return {
      schema: IngestResult,
      body: result,
      ...(protobuf ? { encoded: { contentType: 'application/x-protobuf', pieces: [] } } : {}),
    };
  };

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/v1\/health$/,
      access: 'open',
      handler: async () => {
        const { events, head } = await queries.counts();
        return {
          schema: Health,
          body: { status: 'ok', version: ctx.version, store: ctx.db.kind, events, dataVersion: `${events}-${head.slice(0, 16)}` },
        };
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/events$/,
      access: 'write',
      oidc: true,
      handler: async (req) => ({
        schema: IngestResult,
        body: await ingestEvents(req, (await body(req)).toString('utf8'), ctx.writer, oidcClaims.get(req)),
      }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/webhooks\/github$/,
      access: 'webhook',
      handler: async (req) => ({
        schema: IngestResult,
        body: await ingestGithub(req, await body(req), ctx.writer, { secret: ctx.githubSecret }),
      }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/webhooks\/gitlab$/,
      access: 'gitlab',
      handler: async (req) => ({ schema: IngestResult, body: await ingestGitlab(req, await body(req), ctx.writer) }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/webhooks\/argocd$/,
      access: 'argocd',
      handler: async (req) => ({ schema: IngestResult, body: await ingestArgocd((await body(req)).toString('utf8'), ctx.writer) }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/webhooks\/alertmanager$/,
      access: 'write',
      handler: async (req) => ({ schema: IngestResult, body: await ingestAlertmanager((await body(req)).toString('utf8'), ctx.writer) }),
    },
    { method: 'POST', pattern: /^\/v1\/otlp\/v1\/logs$/, access: 'write', handler: (req) => otlp('logs', req) },
    { method: 'POST', pattern: /^\/v1\/otlp\/v1\/traces$/, access: 'write', handler: (req) => otlp('traces', req) },
    {
      method: 'POST',
      pattern: /^\/v1\/sarif$/,
      access: 'write',
      handler: async (req, url) => ({ schema: IngestResult, body: await ingestSarif(url, (await body(req)).toString('utf8'), ctx.writer) }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/attestations$/,
      access: 'write',
      handler: async (req) => ({
        schema: IngestResult,
        body: await ingestAttestations(req, (await body(req)).toString('utf8'), ctx.writer, ctx.attestationTrust),
      }),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/v1/repos/${segment}/${segment}/environments$`),
      access: 'read',
      handler: async (_req, _url, [owner, name]) => ({
        schema: EnvironmentsResponse,
        body: await queries.environments(repoOf(owner!, name!)),
      }),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/v1/repos/${segment}/${segment}/environments/${segment}/deployments$`),
      access: 'read',
      handler: async (_req, url, [owner, name, env]) => {
        let page;
        try {
          page = await queries.deployments(
            repoOf(owner!, name!),
            pathSegment(env!, 'environment'),
            limitOf(url, 50, 500),
            queryParam(url, 'cursor') ?? null,
          );
        } catch (e) {
          if (e instanceof RangeError) throw badRequest(e.message, [{ pointer: 'query:cursor', reason: e.message }]);
          throw e;
        }
        return { schema: DeploymentsPage, body: page };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/v1/repos/${segment}/${segment}/lineage$`),
      access: 'read',
      handler: async (req, _url, [owner, name]) => {
        const repo = repoOf(owner!, name!);
        const parsed = LineageRequest.safeParse(parseJson((await body(req)).toString('utf8')));
        if (!parsed.success) {
          const problem = zodToInvalid(parsed.error);
          throw new ProblemError(422, 'invalid-request', 'The request body is not valid', problem.message, problem.issues);
        }
        return {
          schema: LineageResponse,
          body: null,
          encoded: { contentType: jsonType, pieces: await queries.lineageJson(repo, parsed.data.commits) },
        };
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/v1/repos/${segment}/${segment}/findings$`),
      access: 'read',
      handler: async (_req, url, [owner, name]) => {
        const status = queryParam(url, 'status');
        if (status !== undefined && !statuses.includes(status)) {
          throw badRequest(`status must be one of ${statuses.join(', ')}`, [{ pointer: 'query:status', reason: 'unknown status' }]);
        }
        const orphaned = queryParam(url, 'orphaned');
        if (orphaned !== undefined && orphaned !== 'true' && orphaned !== 'false') {
          throw badRequest('orphaned must be true or false', [{ pointer: 'query:orphaned', reason: 'not a boolean' }]);
        }
        const filter = {
          path: queryParam(url, 'path', 4096),
          status,
          environment: queryParam(url, 'environment'),
          orphaned: orphaned === undefined ? undefined : orphaned === 'true',
          limit: limitOf(url, 500, 5000),
        };
        return { schema: FindingsResponse, body: await queries.findings(repoOf(owner!, name!), filter) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/deployments\/(.+)$/,
      access: 'read',
      handler: async (_req, _url, [id]) => {
        const deployment = await queries.deployment(pathSegment(id!, 'id'));
        if (!deployment) throw notFound(`no deployment with id ${pathSegment(id!, 'id')}`);
        return { schema: Deployment, body: deployment };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/findings\/(.+)$/,
      access: 'read',
      handler: async (_req, _url, [id]) => {
        const finding = await queries.finding(pathSegment(id!, 'id'));
        if (!finding) throw notFound(`no finding with id ${pathSegment(id!, 'id')}`);
        return { schema: Finding, body: finding };
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/v1/artifacts/${segment}$`),
      access: 'read',
      handler: async (_req, _url, [raw]) => {
        const digest = Digest.safeParse(pathSegment(raw!, 'digest'));
        if (!digest.success)
          throw badRequest('expected a digest like sha256:<64 hex digits>', [{ pointer: 'path:digest', reason: 'not a digest' }]);
        const result = await queries.artifact(digest.data);
        if (!result.artifact && result.attestations.length + result.deployments.length + result.findings.length === 0) {
          throw notFound(`nothing is known about ${digest.data}`);
        }
        return { schema: ArtifactResponse, body: result };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/events$/,
      access: 'read',
      handler: async (_req, url) => {
        const key = queryParam(url, 'key', 2048);
        if (!key) throw badRequest('the key query parameter is required', [{ pointer: 'query:key', reason: 'required' }]);
        const event = await queries.event(key);
        if (!event) throw notFound(`no event with key ${key}`);
        return { schema: StoredEvent, body: event };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/audit\/verify$/,
      access: 'read',
      handler: async () => {
        // One verification at a time: callers arriving meanwhile share its answer.
        verifying ??= verifyStore(ctx.db, ctx.signer, ctx.attestationTrust).finally(() => (verifying = null));
        return { schema: AuditVerification, body: await verifying };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/audit\/checkpoint$/,
      access: 'read',
      handler: async (_req, url) => {
        const covering = intParam(url, 'covering', 1, Number.MAX_SAFE_INTEGER);
        const checkpoint = await queries.checkpoint(covering);
        if (!checkpoint)
          throw notFound(
            covering === undefined
              ? 'nothing has been ingested yet, so there is no checkpoint'
              : `no checkpoint at or after entry ${covering}`,
          );
        return { schema: Checkpoint, body: checkpoint };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/audit\/entries$/,
      access: 'read',
      handler: async (_req, url) => {
        const from = intParam(url, 'from', 1, Number.MAX_SAFE_INTEGER) ?? 1;
        const to = intParam(url, 'to', 1, Number.MAX_SAFE_INTEGER) ?? from + 999;
        if (to < from || to - from >= 10_000)
          throw badRequest('from..to must name 1 to 10,000 entries', [
            { pointer: 'query:to', reason: 'at most 10,000 entries after from' },
          ]);
        return { schema: AuditEntries, body: { entries: await queries.auditEntries(from, to) } };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/audit\/range$/,
      access: 'read',
      handler: async (_req, url) => {
        const time = (name: string) => {
          const v = url.searchParams.get(name);
          if (v === null || v === '') return null;
          if (Number.isNaN(Date.parse(v)))
            throw badRequest(`${name} must be a date or time (ISO 8601)`, [{ pointer: `query:${name}`, reason: 'not a date' }]);
          return new Date(v).toISOString();
        };
        return { schema: AuditRange, body: await queries.auditRange(time('since'), time('until')) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/audit\/events$/,
      access: 'read',
      handler: async (_req, url) => {
        const from = intParam(url, 'from', 1, Number.MAX_SAFE_INTEGER) ?? 1;
        const to = intParam(url, 'to', 1, Number.MAX_SAFE_INTEGER) ?? from + 499;
        if (to < from || to - from >= 1000)
          throw badRequest('from..to must name 1 to 1,000 entries', [{ pointer: 'query:to', reason: 'at most 1,000 entries after from' }]);
        return { schema: AuditEvents, body: { events: await queries.auditEvents(from, to) } };
      },
    },
  ];

  return (req, res) => {
    void handle(req, res).catch((thrown: unknown) => {
      // Another repository's id: the sender's to fix, nothing of the request was stored.
      const e = OwnershipConflict.is(thrown)
        ? new ProblemError(409, 'id-conflict', "The event uses another repository's id", `${thrown.message}; nothing was stored`)
        : thrown;
      if (!ProblemError.is(e)) ctx.log(`error: ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendProblem(
        res,
        ProblemError.is(e) ? e : new ProblemError(500, 'internal', 'Internal error', 'the service failed to answer; see its log'),
      );
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://service.invalid');
    const matching = routes.filter((r) => r.pattern.test(url.pathname));
    if (matching.length === 0) throw notFound(`no such path: ${url.pathname}`);
    const route = matching.find((r) => r.method === req.method);
    if (!route) {
      throw new ProblemError(
        405,
        'method-not-allowed',
        'Method not allowed',
        `${url.pathname} accepts ${matching.map((r) => r.method).join(', ')}`,
        undefined,
        {
          allow: matching.map((r) => r.method).join(', '),
        },
      );
    }
    // A CI job's OIDC token in place of the write token: verified here, its claims checked by the handler.
    const jwt = route.oidc && ctx.oidc ? bearerToken(req) : null;
    if (jwt && OidcVerifier.looksLikeJwt(jwt) && !(ctx.access.writeToken && bearerIs(req, ctx.access.writeToken))) {
      oidcClaims.set(req, await ctx.oidc!.verify(jwt));
    }
    const tokenless =
      route.access === 'write'
        ? !ctx.access.writeToken
        : route.access === 'argocd'
          ? !ctx.access.writeToken && !ctx.argocdToken
          : route.access === 'gitlab'
            ? !ctx.access.writeToken && !ctx.gitlabToken
            : route.access === 'webhook'
              ? !ctx.access.writeToken && !ctx.githubSecret
              : !ctx.access.readToken;
    if (tokenless && !oidcClaims.has(req))
      checkLocalRequest(req, req.method === 'POST' && route.access !== 'read', route.access === 'webhook' && !!ctx.githubSecret);
    if ((route.access === 'read' || route.access === 'write') && !oidcClaims.has(req)) authorize(req, route.access, ctx.access);
    if (route.access === 'argocd' && !(ctx.argocdToken && bearerIs(req, ctx.argocdToken))) authorize(req, 'write', ctx.access);
    if (route.access === 'gitlab') {
      // With a GitLab secret configured, the delivery must carry it; a sender of its own may use the write token.
      if (ctx.gitlabToken && req.headers['x-gitlab-token'] !== undefined && !gitlabTokenIs(req, ctx.gitlabToken))
        throw new ProblemError(401, 'bad-token', 'Token mismatch', 'X-Gitlab-Token does not match the configured GitLab webhook secret');
      if (!(ctx.gitlabToken && gitlabTokenIs(req, ctx.gitlabToken))) authorize(req, 'write', ctx.access);
    }
    if (route.access === 'webhook' && !ctx.githubSecret) authorize(req, 'write', ctx.access);
    // A read sees every delivery acknowledged before it, even one still on its way into the store.
    if (route.access === 'read' || route.access === 'open') await ctx.writer.caughtUp();
    const params = (route.pattern.exec(url.pathname) ?? []).slice(1);
    const { schema, body, encoded } = await route.handler(req, url, params);
    if (ctx.validateResponses) {
      // An answer that comes as JSON text already is checked as what a client will parse.
      const checked = schema.safeParse(
        encoded?.contentType === jsonType ? JSON.parse(Buffer.concat(encoded.pieces).toString('utf8')) : body,
      );
      if (!checked.success) throw new Error(`response for ${url.pathname} does not match its schema: ${checked.error.message}`);
    }
    if (encoded) {
      const { contentType, pieces } = encoded;
      res.writeHead(200, { 'content-type': contentType, 'content-length': pieces.reduce((n, p) => n + p.length, 0) });
      // Corked, the pieces leave in one write of the socket.
      res.cork();
      for (const piece of pieces) res.write(piece);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    const headers: Record<string, string | number> = { 'content-type': jsonType };
    if (req.method === 'GET') {
      const etag = `"${createHash('sha1').update(text).digest('base64url')}"`;
      headers.etag = etag;
      headers['cache-control'] = 'no-cache';
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
    }
    headers['content-length'] = Buffer.byteLength(text);
    res.writeHead(200, headers);
    res.end(text);
  }
}
