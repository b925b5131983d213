/**
 * GitLab (GitLab.com or self-managed, under a path prefix or not) over @gitbeaker/rest, as the
 * traceability source for teams that keep their deployments, merge requests and pipelines there.
 *
 * Gitbeaker gives the endpoints and their pagination; the requests themselves go through this
 * client's handler, which is where the rules of a source live: the token is sent to the configured
 * instance only (a page link or URL on another origin is refused, never followed); repeat reads
 * are conditional (If-None-Match) where GitLab gives ETags; GitLab's rate limit is honoured
 * (429 with Retry-After or RateLimit-Reset, waited out a bounded number of times, then said); an
 * answer that failed (500, 502, 503, 504) is asked once more; a connection that cannot be made is
 * not waited for twice. Every answer is validated with zod at the boundary by the caller.
 */
import { createRequesterFn } from '@gitbeaker/requester-utils';
import { Gitlab } from '@gitbeaker/rest';
import { Agent, fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import { connectFailure, connectTimeoutMs, Reachability } from '../reachability';
import { GitLabError } from './gitlabError';
import { gitlabInstance } from './gitlabInstance';

export { GitLabError, type GitLabErrorReason } from './gitlabError';

/** How a token is presented: a personal, project or group access token; a CI job's token; an OAuth token (an editor sign-in). */
export type GitLabTokenKind = 'private' | 'job' | 'oauth';

export interface GitLabToken {
  kind: GitLabTokenKind;
  value: string;
}

export interface GitLabClientOptions {
  /** The instance: https://gitlab.com, https://gitlab.example.com/gitlab, or its API URL (…/api/v4). */
  url?: string;
  token?: GitLabToken | null;
  /** Waits for a rate limit before giving up. */
  rateLimitRetries?: number;
  /** The longest wait for a rate limit (ms); a longer one is reported instead of waited out. */
  maxRateLimitWaitMs?: number;
}

/** Answers worth one more try: the server or a proxy failed, not the request. */
const transientStatus = new Set([500, 502, 503, 504]);

type Api = InstanceType<typeof Gitlab<false>>;

interface HandlerOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  searchParams?: string;
  prefixUrl?: string;
  signal?: AbortSignal;
}

export class GitLabClient {
  /** The instance, e.g. https://gitlab.com. */
  readonly instance: string;
  readonly host: string;
  /** HTTP requests actually sent (304s included): what the benchmarks count. */
  requests = 0;
  rateLimit: { limit: number; remaining: number; reset: number } | null = null;
  readonly api: Api;
  private readonly origin: string;
  private readonly token: GitLabToken | null;
  private readonly etags = new Map<string, { etag: string; body: unknown; headers: Record<string, string> }>();
  private readonly reachability = new Reachability();
  private readonly agent = new Agent({ connect: { timeout: connectTimeoutMs } });
  private readonly retries: number;
  private readonly maxWaitMs: number;

  constructor(options: GitLabClientOptions = {}) {
    this.instance = gitlabInstance(options.url ?? 'https://gitlab.com');
    const url = new URL(this.instance);
    this.origin = url.origin;
    this.host = url.host;
    this.token = options.token ?? null;
    this.retries = options.rateLimitRetries ?? 2;
    this.maxWaitMs = options.maxRateLimitWaitMs ?? 60_000;
    const auth =
      this.token?.kind === 'job'
        ? { jobToken: this.token.value }
        : this.token?.kind === 'oauth'
          ? { oauthToken: this.token.value }
          : { token: this.token?.value ?? '' };
    const requesterFn = createRequesterFn(
      (_service, options) => Promise.resolve(options),
      (endpoint, options) => this.handle(endpoint, options ?? {}) as never,
    );
    // A client without a token still reads public projects: gitbeaker sends an empty
    // PRIVATE-TOKEN then, which GitLab treats as none.
    this.api = new Gitlab({ host: this.instance, ...auth, requesterFn, camelize: false, queryTimeout: 30_000 } as never);
  }

  /** One read through gitbeaker, validated; `where` names it in messages. */
  async read<S extends z.ZodType>(where: string, call: (api: Api) => Promise<unknown>, schema: S): Promise<z.infer<S>> {
    let data: unknown;
    try {
      data = await call(this.api);
    } catch (e) {
      throw this.classify(e, where);
    }
    const parsed = schema.safeParse(data);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new GitLabError(
      'invalidResponse',
      `${this.host}'s answer to ${where} lacks what Code Lineage needs: ${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
  }

  /** A GraphQL query at the instance's /api/graphql, validated. GitLab answers 200 with `errors` for what it refuses. */
  async graphql<S extends z.ZodType>(query: string, variables: Record<string, unknown>, schema: S): Promise<z.infer<S>> {
    const response = await this.handle('graphql', {
      method: 'POST',
      prefixUrl: `${this.instance}/api`,
      headers: { 'content-type': 'application/json', ...this.authHeader() },
      body: JSON.stringify({ query, variables }),
    }).catch((e: unknown) => {
      throw this.classify(e, 'graphql');
    });
    const body = response.body as { data?: unknown; errors?: { message?: string }[] } | null;
    if (body?.errors?.length) {
      const text = body.errors
        .map((e) => e.message ?? '')
        .join('; ')
        .replace(/[\u0000-\u001f\u007f]/g, ' ')
        .slice(0, 300);
      throw new GitLabError(/permission|not authorized|access/i.test(text) ? 'forbidden' : 'failed', `${this.host} GraphQL: ${text}`);
    }
    const parsed = schema.safeParse(body?.data);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new GitLabError(
      'invalidResponse',
      `${this.host}'s GraphQL answer lacks what Code Lineage needs: ${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
  }

  private authHeader(): Record<string, string> {
    if (!this.token) return {};
    if (this.token.kind === 'job') return { 'job-token': this.token.value };
    if (this.token.kind === 'oauth') return { authorization: `Bearer ${this.token.value}` };
    return { 'private-token': this.token.value };
  }

  /**
   * Every request gitbeaker makes (and the GraphQL POST) comes here. gitbeaker follows a list's
   * `rel="next"` link by its query on the same endpoint; the URL is checked anyway, so nothing with
   * the token leaves the instance.
   */
  private readonly handle = async (
    endpoint: string,
    options: HandlerOptions,
  ): Promise<{ body: unknown; headers: Record<string, string>; status: number }> => {
    const base = options.prefixUrl
      ? options.prefixUrl.endsWith('/')
        ? options.prefixUrl
        : `${options.prefixUrl}/`
      : `${this.instance}/api/v4/`;
    const url = new URL(endpoint, base);
    if (options.searchParams) url.search = options.searchParams;
    if (url.origin !== this.origin) {
      throw new GitLabError('invalidResponse', `a request for ${url.host} was about to carry the ${this.host} token; refused`);
    }
    const method = (options.method ?? 'GET').toUpperCase();
    const key = method === 'GET' ? url.toString() : null;
    const cached = key ? this.etags.get(key) : undefined;
    // Without a token no credential header goes out at all (gitbeaker would send an empty one).
    const given = Object.entries(options.headers ?? {}).filter(
      ([h]) => this.token || !['private-token', 'job-token', 'authorization'].includes(h),
    );
    const headers: Record<string, string> = { 'user-agent': 'code-lineage', ...Object.fromEntries(given) };
    if (cached) headers['if-none-match'] = cached.etag;
    let waits = 0;
    for (let attempt = 0; ; attempt++) {
      const down = this.reachability.down();
      if (down) throw new GitLabError('unreachable', `cannot reach ${this.host} (${down})`);
      let response: Awaited<ReturnType<typeof undiciFetch>>;
      this.requests++;
      try {
        response = await undiciFetch(url, { method, headers, body: options.body, signal: options.signal, dispatcher: this.agent });
      } catch (e) {
        const refused = connectFailure(e);
        if (refused) {
          this.reachability.failed(refused);
          throw new GitLabError('unreachable', `cannot reach ${this.host} (${refused})`);
        }
        if ((e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError')
          throw new GitLabError('unreachable', `${this.host} did not answer in time`);
        throw new GitLabError('unreachable', `cannot reach ${this.host}: ${(e as Error).message}`);
      }
      this.reachability.reached();
      const responseHeaders = Object.fromEntries(response.headers.entries());
      this.noteRateLimit(responseHeaders);
      if (response.status === 304 && cached) {
        await response.body?.cancel();
        return { body: cached.body, headers: cached.headers, status: 200 };
      }
      if (response.ok) {
        const text = await response.text();
        let body: unknown = text;
        if ((responseHeaders['content-type'] ?? '').includes('json')) {
          try {
            body = text ? JSON.parse(text) : {};
          } catch {
            throw new GitLabError('invalidResponse', `${this.host} sent malformed JSON for ${url.pathname}`);
          }
        }
        if (key && responseHeaders.etag) this.etags.set(key, { etag: responseHeaders.etag, body, headers: responseHeaders });
        return { body, headers: responseHeaders, status: response.status };
      }
      const text = await response.text().catch(() => '');
      if (response.status === 429) {
        const wait = this.rateLimitWait(responseHeaders);
        if (waits < this.retries && wait <= this.maxWaitMs) {
          waits++;
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
        throw new GitLabError(
          'rateLimited',
          `${this.host} rate limit reached (429); try again ${wait > 0 ? `in ${Math.ceil(wait / 1000)} s` : 'later'}`,
        );
      }
      if (attempt === 0 && transientStatus.has(response.status)) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      throw this.statusError(response.status, text);
    }
  };

  /** How long GitLab asks to wait: Retry-After (seconds), else until RateLimit-Reset (epoch seconds), else a second. */
  private rateLimitWait(headers: Record<string, string>): number {
    const after = Number(headers['retry-after']);
    if (Number.isFinite(after) && after >= 0) return after * 1000;
    const reset = Number(headers['ratelimit-reset']);
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - Date.now());
    return 1000;
  }

  private noteRateLimit(headers: Record<string, string>): void {
    const limit = Number(headers['ratelimit-limit']);
    const remaining = Number(headers['ratelimit-remaining']);
    const reset = Number(headers['ratelimit-reset']);
    if (Number.isFinite(limit) && Number.isFinite(remaining) && headers['ratelimit-limit'] !== undefined)
      this.rateLimit = { limit, remaining, reset };
  }

  private statusError(status: number, text: string): GitLabError {
    const message = gitlabMessage(text);
    if (status === 401) {
      // A refused token caches nothing: whatever was read under it is dropped.
      this.etags.clear();
      return new GitLabError(
        'unauthorized',
        `${this.host} refused the token (401): it may be revoked or expired; sign in again, or set GITLAB_TOKEN`,
      );
    }
    if (status === 403)
      return new GitLabError(
        'forbidden',
        `${this.host} answered 403: the token may not read this (${message || 'forbidden'}); grant it read_api, or ask a maintainer`,
      );
    if (status === 404)
      return new GitLabError(
        'notFound',
        `${this.host} answered 404: the project does not exist, the token cannot see it, or the feature is off (${message || 'not found'})`,
      );
    if (transientStatus.has(status)) return new GitLabError('unreachable', `${this.host} failed to answer (${status})`);
    return new GitLabError('failed', `${this.host} answered ${status}: ${message}`);
  }

  private classify(e: unknown, where: string): GitLabError {
    if (GitLabError.is(e)) return e;
    const cause = (e as { cause?: unknown }).cause;
    if (GitLabError.is(cause)) return cause;
    return new GitLabError('failed', `${this.host} (${where}): ${(e as Error).message}`);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** GitLab's error bodies: {"message": "..."} or {"error": "..."}; control characters removed, bounded. */
function gitlabMessage(text: string): string {
  let message = text;
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = body.message ?? body.error;
    message = typeof m === 'string' ? m : JSON.stringify(m ?? '');
  } catch {
    // Not JSON: an HTML error page from a proxy, shown in part.
  }
  return message.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200);
}
