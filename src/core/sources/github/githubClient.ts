/**
 * GitHub over @octokit/rest, as the traceability source for teams that keep their deployments,
 * reviews, checks and code-scanning alerts there. Primary and secondary rate limits are honoured
 * (plugin-throttling, Retry-After), a failed answer (a 502) retried once, a connection that cannot be
 * made not waited for twice (boundedFetch), and repeat REST
 * reads are conditional (If-None-Match), so a 304 costs no rate limit. The token goes only to the
 * configured API host and is never logged. Every answer is validated with zod at the boundary.
 */
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light';
import { Agent, fetch as undiciFetch, request as httpRequest } from 'undici';
import { z } from 'zod';

export { GitHubError, type GitHubErrorReason } from './githubError';
import { GitHubError } from './githubError';
import { connectFailure, connectTimeoutMs, Reachability } from '../reachability';

/** Attestation bundles are a few kilobytes; anything past this is not one. */
const maxBlobBytes = 16 * 1024 * 1024;

export interface GitHubClientOptions {
  /** API base URL: https://api.github.com, https://ghe.example.com/api/v3, or a test server. */
  baseUrl?: string;
  token?: string | null;
  /** Retries after a rate limit before giving up. */
  rateLimitRetries?: number;
}

const ThrottledOctokit = Octokit.plugin(throttling);

/** Answers worth one more try: the server or a proxy failed, not the request. */
const transientStatus = new Set([500, 502, 503, 504]);

export class GitHubClient {
  readonly baseUrl: string;
  /** HTTP requests actually sent (304s included): what the benchmarks count. */
  requests = 0;
  rateLimit: { limit: number; remaining: number; reset: number } | null = null;
  private readonly octokit: InstanceType<typeof ThrottledOctokit>;
  private readonly etags = new Map<string, { etag: string; data: unknown }>();
  private readonly reachability = new Reachability();
  private readonly agent = new Agent({ connect: { timeout: connectTimeoutMs } });

  constructor(options: GitHubClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    const retries = options.rateLimitRetries ?? 2;
    this.octokit = new ThrottledOctokit({
      auth: options.token ?? undefined,
      baseUrl: this.baseUrl,
      userAgent: 'code-lineage',
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      throttle: {
        // The plugin spaces every POST a second apart, GraphQL included, because POSTs usually write.
        // This client never writes to GitHub: its GraphQL queries are reads, sent one at a time.
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
        onRateLimit: (_after: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < retries,
        onSecondaryRateLimit: (_after: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < retries,
      },
      request: { fetch: this.boundedFetch },
    });
    this.octokit.hook.wrap('request', async (request, options) => {
      const key =
        options.method === 'GET'
          ? `${options.url}?${JSON.stringify(Object.entries(options).filter(([k]) => !['method', 'url', 'headers', 'request', 'baseUrl', 'mediaType'].includes(k)))}`
          : null;
      const cached = key ? this.etags.get(key) : undefined;
      if (cached) options.headers = { ...options.headers, 'if-none-match': cached.etag };
      this.requests++;
      try {
        const response = await request(options);
        this.noteRateLimit(response.headers as Record<string, string | undefined>);
        const etag = (response.headers as Record<string, string | undefined>).etag;
        if (key && etag) this.etags.set(key, { etag, data: response.data });
        return response;
      } catch (e) {
        const status = (e as { status?: number }).status;
        if (status === 304 && cached) return { status: 200, url: options.url, headers: {}, data: cached.data } as never;
        // A refused token caches nothing: whatever was read under it is dropped.
        if (status === 401) this.etags.clear();
        throw e;
      }
    });
  }

  /**
   * fetch with a short time to connect; after a connection that could not be made, requests fail
   * at once for a while instead of waiting again. An answer that failed (500, 502, 503, 504) is
   * asked once more a quarter second later: every request here is a read, so asking again is safe.
   */
  private readonly boundedFetch = async (url: string | URL, init?: Parameters<typeof undiciFetch>[1]) => {
    const host = new URL(this.baseUrl).host;
    for (let attempt = 0; ; attempt++) {
      const down = this.reachability.down();
      if (down) throw new GitHubError('unreachable', `cannot reach ${host} (${down})`);
      let response: Awaited<ReturnType<typeof undiciFetch>>;
      try {
        response = await undiciFetch(url, { ...init, dispatcher: this.agent });
      } catch (e) {
        const refused = connectFailure(e);
        if (!refused) throw e;
        this.reachability.failed(refused);
        throw new GitHubError('unreachable', `cannot reach ${host} (${refused})`);
      }
      this.reachability.reached();
      if (attempt > 0 || !transientStatus.has(response.status)) return response;
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  private noteRateLimit(headers: Record<string, string | undefined>): void {
    const limit = Number(headers['x-ratelimit-limit']);
    const remaining = Number(headers['x-ratelimit-remaining']);
    const reset = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(limit) && Number.isFinite(remaining)) this.rateLimit = { limit, remaining, reset };
  }

  /** A REST GET, validated. */
  async get<S extends z.ZodType>(route: string, params: Record<string, unknown>, schema: S): Promise<z.infer<S>> {
    const response = await this.call(() => this.octokit.request(`GET ${route}`, params));
    return this.check(schema, response.data, route);
  }

  /**
   * Every page of a REST list (bounded), validated item by item. Pages are followed by the
   * `rel="next"` link GitHub sends, as its documentation asks, and only while that link stays on
   * the API host: the token never follows a link anywhere else.
   */
  async list<S extends z.ZodType>(route: string, params: Record<string, unknown>, schema: S, maxItems = 1000): Promise<z.infer<S>[]> {
    const out: z.infer<S>[] = [];
    let response = await this.call(() => this.octokit.request(`GET ${route}`, { per_page: 100, ...params }));
    for (;;) {
      const data = response.data as unknown;
      const items = Array.isArray(data) ? data : [];
      for (const item of items) out.push(this.check(schema, item, route));
      const next = nextLink((response.headers as Record<string, string | undefined>).link ?? '');
      if (!next || out.length >= maxItems || items.length === 0) return out.slice(0, maxItems);
      if (new URL(next).origin !== new URL(this.baseUrl).origin) {
        throw new GitHubError(
          'invalidResponse',
          `GitHub's next page for ${route} is on another host (${new URL(next).host}); not following it with the token`,
        );
      }
      response = await this.call(() => this.octokit.request(`GET ${next}`));
    }
  }

  /**
   * A document GitHub hands out by a signed URL on another host (an attestation bundle in blob
   * storage). Fetched without the token, which belongs to the API host only; over https, or over
   * plain http only when the API itself is configured that way (a local server).
   */
  async blob(url: string): Promise<Uint8Array> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new GitHubError('invalidResponse', `GitHub handed out a malformed URL: ${url.slice(0, 80)}`);
    }
    const apiProtocol = new URL(this.baseUrl).protocol;
    if (target.protocol !== 'https:' && !(target.protocol === 'http:' && apiProtocol === 'http:')) {
      throw new GitHubError('invalidResponse', `GitHub handed out a ${target.protocol} URL for ${target.host}; only https is fetched`);
    }
    this.requests++;
    try {
      const response = await httpRequest(target, {
        method: 'GET',
        dispatcher: this.agent,
        headers: { 'user-agent': 'code-lineage' },
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new GitHubError(
          response.statusCode === 403 || response.statusCode === 404 ? 'notFound' : 'failed',
          `${target.host} answered ${response.statusCode} for a bundle (signed URLs expire; read the attestation again)`,
        );
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > maxBlobBytes) {
          response.body.destroy();
          throw new GitHubError('invalidResponse', `${target.host} sent more than ${maxBlobBytes} bytes for a bundle`);
        }
        chunks.push(chunk as Buffer);
      }
      return new Uint8Array(Buffer.concat(chunks));
    } catch (e) {
      if (GitHubError.is(e)) throw e;
      throw new GitHubError('unreachable', `cannot reach ${target.host}: ${(e as Error).message}`);
    }
  }

  /** A GraphQL query, validated. */
  async graphql<S extends z.ZodType>(query: string, variables: Record<string, unknown>, schema: S): Promise<z.infer<S>> {
    const data = await this.call(() => this.octokit.graphql(query, variables));
    return this.check(schema, data, 'graphql');
  }

  private check<S extends z.ZodType>(schema: S, data: unknown, where: string): z.infer<S> {
    const parsed = schema.safeParse(data);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new GitHubError(
      'invalidResponse',
      `GitHub's answer to ${where} lacks what Code Lineage needs: ${issue.path.join('.') || '(top)'}: ${issue.message} (an older Enterprise Server?)`,
    );
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (GitHubError.is(e)) throw e;
      // Octokit wraps what its fetch threw (boundedFetch's verdict on a connection) in its own error.
      const cause = (e as { cause?: unknown }).cause;
      if (GitHubError.is(cause)) throw cause;
      const host = new URL(this.baseUrl).host;
      if ((e as Error).name === 'GraphqlResponseError') throw graphqlError(host, (e as { errors?: unknown }).errors);
      const status = (e as { status?: number }).status;
      if (status === 401)
        throw new GitHubError(
          'unauthorized',
          `${host} refused the token (401): it may be revoked or expired; sign in again, or set GITHUB_TOKEN / run "gh auth login"`,
        );
      if (status === 404)
        throw new GitHubError('notFound', `${host} answered 404: the repository does not exist or the token cannot see it`);
      if (status === 429 || (status === 403 && isRateLimit(e)))
        throw new GitHubError('rateLimited', `${host} rate limit reached (${status}); try again after it resets`);
      if (status === 403)
        throw new GitHubError(
          'forbidden',
          `${host} answered 403: the token may not read this (${errorMessage(e)}); grant it the permission, or ask an owner`,
        );
      if (status === undefined || status === 500 || status === 502 || status === 503)
        throw new GitHubError('unreachable', `cannot reach ${host}: ${(e as Error).message}`);
      throw new GitHubError('failed', `${host}: ${(e as Error).message}`);
    }
  }
}

const GraphqlErrors = z.array(
  z
    .object({
      message: z.string().default(''),
      type: z.string().optional(),
      extensions: z
        .object({ code: z.string().optional(), typeName: z.string().optional(), fieldName: z.string().optional() })
        .loose()
        .optional(),
    })
    .loose(),
);

/**
 * GraphQL answers 200 with `errors`: a field an older Enterprise Server's schema lacks
 * (`undefinedField`), a repository it cannot resolve, a token scope it lacks, its rate limit.
 */
function graphqlError(host: string, raw: unknown): GitHubError {
  const parsed = GraphqlErrors.safeParse(raw);
  const errors = parsed.success ? parsed.data : [];
  const text =
    errors
      .map((e) => e.message)
      .join('; ')
      .replace(/[\u0000-\u001f\u007f]/g, ' ')
      .slice(0, 300) || 'an error without a message';
  const undefinedFields = errors
    .filter((e) => e.extensions?.code === 'undefinedField' && e.extensions.typeName && e.extensions.fieldName)
    .map((e) => `${e.extensions!.typeName}.${e.extensions!.fieldName}`);
  if (undefinedFields.length && undefinedFields.length === errors.length) {
    return new GitHubError(
      'unsupported',
      `${host}'s GraphQL API does not know ${undefinedFields.join(', ')} (an older Enterprise Server?)`,
      undefinedFields,
    );
  }
  const types = new Set(errors.map((e) => e.type));
  if (types.has('RATE_LIMITED')) return new GitHubError('rateLimited', `${host} GraphQL rate limit reached; try again after it resets`);
  if (types.has('NOT_FOUND')) return new GitHubError('notFound', `${host}: ${text}`);
  if (types.has('FORBIDDEN') || types.has('INSUFFICIENT_SCOPES'))
    return new GitHubError('forbidden', `${host}: the token may not read this (${text}); grant it the permission, or ask an owner`);
  return new GitHubError('failed', `${host} GraphQL: ${text}`);
}

/** The `rel="next"` URL of a Link header, if any. */
function nextLink(link: string): string | null {
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1]!;
  }
  return null;
}

/** A 403 is a rate limit when GitHub says so (no requests left, or a secondary limit); else a permission. */
function isRateLimit(e: unknown): boolean {
  const headers = (e as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
  return headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined || /rate limit/i.test(errorMessage(e));
}

function errorMessage(e: unknown): string {
  const data = (e as { response?: { data?: unknown } }).response?.data;
  const message =
    data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string'
      ? (data as { message: string }).message
      : (e as Error).message;
  return message.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200);
}
