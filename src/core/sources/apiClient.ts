/**
 * The one client of the traceability API (docs/openapi.yaml), shared by the CLI and the extension.
 * undici underneath; per-request timeouts; bounded retries with exponential backoff that honour
 * Retry-After; If-None-Match on repeated reads; every response validated with the zod schema the
 * service itself validates against; failures as typed ApiErrors.
 *
 * Ingest requests are retried too: every write is idempotent on its event id, so a retry after a
 * lost acknowledgement cannot duplicate anything.
 */
import { Agent, type Dispatcher, request } from 'undici';
import type { z } from 'zod';
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
  LineageResponse,
  Problem,
  StoredEvent,
} from '../model/api';
import { Deployment, Finding } from '../model/domain';
import { type AuditEntry, Checkpoint } from '../audit/chain';
import { isRepoSlug } from '../model/primitives';
import { ApiError } from './apiError';
import { connectFailure, connectTimeoutMs, Reachability } from './reachability';

export interface ApiClientOptions {
  baseUrl: string;
  token?: string;
  /** Per attempt, headers and body together. */
  timeoutMs?: number;
  /** Further attempts after the first, for retryable failures. */
  retries?: number;
  backoffMs?: number;
  /** Longest Retry-After honoured; a longer one fails at once rather than hang an editor. */
  maxRetryAfterMs?: number;
  dispatcher?: Dispatcher;
  userAgent?: string;
}

export type IngestKind = 'events' | 'sarif' | 'attestations' | 'github' | 'gitlab';

export interface IngestOptions {
  /** For sarif: the repository, commit and environment the log was produced for. */
  repo?: string;
  commit?: string;
  environment?: string;
  /** For github: the X-GitHub-Event name and, when known, the delivery id. */
  githubEvent?: string;
  githubDelivery?: string;
  /** For gitlab: the X-Gitlab-Event name. */
  gitlabEvent?: string;
  contentType?: string;
}

const retryableStatus = new Set([408, 429, 502, 503, 504]);
const lineageBatch = 1000;

export class ApiClient {
  private readonly base: string;
  private readonly etags = new Map<string, { etag: string; value: unknown }>();
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly reachability = new Reachability();

  constructor(private readonly options: ApiClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw new ApiError('unreachable', `the service URL "${options.baseUrl}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ApiError('unreachable', `the service URL must be http or https, got ${parsed.protocol}`);
    }
    this.base = parsed.toString().replace(/\/+$/, '');
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher = options.dispatcher ?? new Agent({ connections: 8, keepAliveTimeout: 10_000, connect: { timeout: connectTimeoutMs } });
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  health(): Promise<z.infer<typeof Health>> {
    return this.get('/v1/health', Health);
  }

  environments(repo: string): Promise<z.infer<typeof EnvironmentsResponse>> {
    return this.get(`${repoPath(repo)}/environments`, EnvironmentsResponse);
  }

  deployments(repo: string, environment: string, page: { limit?: number; cursor?: string } = {}): Promise<z.infer<typeof DeploymentsPage>> {
    const q = new URLSearchParams();
    if (page.limit) q.set('limit', String(page.limit));
    if (page.cursor) q.set('cursor', page.cursor);
    const suffix = q.size > 0 ? `?${q.toString()}` : '';
    return this.get(`${repoPath(repo)}/environments/${encodeURIComponent(environment)}/deployments${suffix}`, DeploymentsPage);
  }

  /** One request per thousand commits: a whole file's commits normally take one. */
  async lineage(repo: string, commits: string[]): Promise<z.infer<typeof LineageResponse>> {
    const unique = [...new Set(commits)];
    const parts: z.infer<typeof LineageResponse>[] = [];
    for (let i = 0; i < unique.length; i += lineageBatch) {
      const body = JSON.stringify({ commits: unique.slice(i, i + lineageBatch) });
      parts.push(await this.send('POST', `${repoPath(repo)}/lineage`, LineageResponse, body, 'application/json', true));
    }
    return { repo, commits: parts.flatMap((p) => p.commits) };
  }

  findings(
    repo: string,
    filter: { path?: string; status?: string; environment?: string; orphaned?: boolean; limit?: number } = {},
  ): Promise<z.infer<typeof FindingsResponse>> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter) as [string, string | number | boolean | undefined][])
      if (v !== undefined) q.set(k, String(v));
    const suffix = q.size > 0 ? `?${q.toString()}` : '';
    return this.get(`${repoPath(repo)}/findings${suffix}`, FindingsResponse);
  }

  deployment(id: string): Promise<z.infer<typeof Deployment>> {
    return this.get(`/v1/deployments/${encodeURIComponent(id)}`, Deployment);
  }

  finding(id: string): Promise<z.infer<typeof Finding>> {
    return this.get(`/v1/findings/${encodeURIComponent(id)}`, Finding);
  }

  artifact(digest: string): Promise<z.infer<typeof ArtifactResponse>> {
    return this.get(`/v1/artifacts/${encodeURIComponent(digest)}`, ArtifactResponse);
  }

  event(key: string): Promise<z.infer<typeof StoredEvent>> {
    return this.get(`/v1/events?key=${encodeURIComponent(key)}`, StoredEvent);
  }

  verifyAudit(): Promise<z.infer<typeof AuditVerification>> {
    return this.get('/v1/audit/verify', AuditVerification);
  }

  /** The latest signed checkpoint, or the first at or after entry `covering`. */
  checkpoint(covering?: number): Promise<Checkpoint> {
    return this.get(`/v1/audit/checkpoint${covering === undefined ? '' : `?covering=${covering}`}`, Checkpoint);
  }

  /** Audit entries `from` to `to`, in requests of at most 10,000. */
  /** The first and last entry received in [since, until) (ISO times; null for open ends), and the head. */
  auditRange(since: string | null, until: string | null): Promise<z.infer<typeof AuditRange>> {
    const q = new URLSearchParams();
    if (since) q.set('since', since);
    if (until) q.set('until', until);
    return this.get(`/v1/audit/range${q.size ? `?${q.toString()}` : ''}`, AuditRange);
  }

  /** Entries from..to (at most 1,000) with their events' raw text. */
  async auditEvents(from: number, to: number): Promise<z.infer<typeof AuditEvents>['events']> {
    return (await this.get(`/v1/audit/events?from=${from}&to=${to}`, AuditEvents)).events;
  }

  async auditEntries(from: number, to: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for (let start = from; start <= to; start += 10_000) {
      const end = Math.min(to, start + 9_999);
      out.push(...(await this.get(`/v1/audit/entries?from=${start}&to=${end}`, AuditEntries)).entries);
    }
    return out;
  }

  ingest(kind: IngestKind, body: string, options: IngestOptions = {}): Promise<z.infer<typeof IngestResult>> {
    const headers: Record<string, string> = {};
    let path = '/v1/events';
    if (kind === 'sarif') {
      const q = new URLSearchParams();
      if (options.repo) q.set('repo', options.repo);
      if (options.commit) q.set('commit', options.commit);
      if (options.environment) q.set('environment', options.environment);
      path = `/v1/sarif${q.size > 0 ? `?${q.toString()}` : ''}`;
    } else if (kind === 'attestations') {
      path = '/v1/attestations';
    } else if (kind === 'github') {
      path = '/v1/webhooks/github';
      if (!options.githubEvent) throw new ApiError('rejected', 'a GitHub payload needs its event name (X-GitHub-Event)');
      headers['x-github-event'] = options.githubEvent;
      if (options.githubDelivery) headers['x-github-delivery'] = options.githubDelivery;
    } else if (kind === 'gitlab') {
      path = '/v1/webhooks/gitlab';
      if (!options.gitlabEvent) throw new ApiError('rejected', 'a GitLab payload needs its event name (X-Gitlab-Event)');
      headers['x-gitlab-event'] = options.gitlabEvent;
    }
    return this.send('POST', path, IngestResult, body, options.contentType ?? 'application/json', true, headers);
  }

  private get<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> {
    return this.send('GET', path, schema, undefined, undefined, true);
  }

  private async send<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body: string | undefined,
    contentType: string | undefined,
    retryable: boolean,
    extraHeaders: Record<string, string> = {},
  ): Promise<z.infer<S>> {
    const url = `${this.base}${path}`;
    const retries = retryable ? (this.options.retries ?? 2) : 0;
    const cached = method === 'GET' ? this.etags.get(url) : undefined;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'code-lineage',
      ...extraHeaders,
    };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (contentType) headers['content-type'] = contentType;
    if (cached) headers['if-none-match'] = cached.etag;

    const down = this.reachability.down();
    if (down) throw new ApiError('unreachable', `cannot reach the service at ${new URL(url).origin} (${down} a moment ago)`);
    for (let attempt = 0; ; attempt++) {
      const backoff = (this.options.backoffMs ?? 200) * 2 ** attempt;
      const timeout = this.options.timeoutMs ?? 5000;
      let status: number;
      let text: string;
      let responseHeaders: Record<string, string | string[] | undefined>;
      try {
        const res = await request(url, {
          method,
          headers,
          body,
          dispatcher: this.dispatcher,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: AbortSignal.timeout(timeout),
        });
        this.reachability.reached();
        status = res.statusCode;
        responseHeaders = res.headers;
        text = await res.body.text();
      } catch (e) {
        const error = classifyTransport(e, url);
        const refused = connectFailure(e);
        // A connection that could not be made is not tried again: retries are for answers that failed.
        if (refused) {
          this.reachability.failed(refused);
          throw error;
        }
        if (attempt >= retries) throw error;
        await sleep(backoff + Math.random() * backoff * 0.2);
        continue;
      }
      if (status === 304 && cached) return cached.value as z.infer<S>;
      if (status >= 200 && status < 300) {
        const value = this.validate(schema, text, path);
        const etag = responseHeaders.etag;
        if (method === 'GET' && typeof etag === 'string') this.etags.set(url, { etag, value });
        return value;
      }
      const error = statusError(status, text, path);
      if (!retryableStatus.has(status) || attempt >= retries) throw error;
      const delay = retryAfter(responseHeaders['retry-after']);
      if (delay !== null && delay > (this.options.maxRetryAfterMs ?? 30_000)) throw error;
      await sleep(delay ?? backoff + Math.random() * backoff * 0.2);
    }
  }

  private validate<S extends z.ZodType>(schema: S, text: string, path: string): z.infer<S> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError('invalidResponse', `the service answered ${path} with something that is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue ? issue.path.map(String).join('.') || '(root)' : '(root)';
      throw new ApiError(
        'invalidResponse',
        `the service answered ${path} with an invalid response: ${field}: ${issue?.message ?? 'invalid'}`,
        undefined,
        field,
      );
    }
    return parsed.data;
  }
}

function repoPath(repo: string): string {
  if (!isRepoSlug(repo)) throw new ApiError('rejected', `"${repo}" is not a repository in owner/name (or group/subgroup/name) form`);
  // A project in nested groups keeps its path after the first segment in one escaped segment.
  const [owner, ...name] = repo.split('/');
  return `/v1/repos/${encodeURIComponent(owner!)}/${encodeURIComponent(name.join('/'))}`;
}

function statusError(status: number, text: string, path: string): ApiError {
  let problem: unknown;
  let detail = '';
  try {
    const parsed = Problem.safeParse(JSON.parse(text));
    if (parsed.success) {
      problem = parsed.data;
      const fields = (parsed.data.errors ?? []).slice(0, 3).map((e) => `${e.pointer}: ${e.reason}`);
      detail = [parsed.data.detail ?? parsed.data.title, ...fields].join('; ');
    }
  } catch {
    // not a problem document; the status says enough
  }
  const suffix = detail ? `: ${detail}` : '';
  if (status === 401) return new ApiError('unauthorized', `the service refused the token (401)${suffix}`, status, undefined, problem);
  if (status === 403) return new ApiError('forbidden', `the service refused access (403)${suffix}`, status, undefined, problem);
  if (status === 404) return new ApiError('notFound', `not found: ${path}${suffix}`, status, undefined, problem);
  if (status >= 500) return new ApiError('server', `the service failed (${status})${suffix}`, status, undefined, problem);
  return new ApiError('rejected', `the service rejected the request (${status})${suffix}`, status, undefined, problem);
}

function classifyTransport(e: unknown, url: string): ApiError {
  const err = e as { name?: string; code?: string; message?: string };
  if (
    err.name === 'TimeoutError' ||
    err.name === 'AbortError' ||
    err.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    err.code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new ApiError('timeout', `the service at ${new URL(url).origin} did not answer in time`);
  }
  const why = connectFailure(e) ?? err.code ?? err.message ?? 'network error';
  return new ApiError('unreachable', `cannot reach the service at ${new URL(url).origin} (${why})`);
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function retryAfter(value: string | string[] | undefined): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
