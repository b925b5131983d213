/**
 * GitHub over @octokit/rest, as the traceability source for teams that keep their deployments,
 * reviews, checks and code-scanning alerts there. Primary and secondary rate limits are honoured
 * (plugin-throttling, Retry-After), transient failures retried (plugin-retry), and repeat REST
 * reads are conditional (If-None-Match), so a 304 costs no rate limit. The token goes only to the
 * configured API host and is never logged. Every answer is validated with zod at the boundary.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light';
import type { z } from 'zod';

export type GitHubErrorReason = 'unauthorized' | 'notFound' | 'rateLimited' | 'unreachable' | 'invalidResponse' | 'failed';

export class GitHubError extends Error {
  constructor(
    readonly reason: GitHubErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'GitHubError';
  }

  static is(e: unknown, reason?: GitHubErrorReason): e is GitHubError {
    return e instanceof GitHubError && (reason === undefined || e.reason === reason);
  }
}

export interface GitHubClientOptions {
  /** API base URL: https://api.github.com, https://ghe.example.com/api/v3, or a test server. */
  baseUrl?: string;
  token?: string | null;
  /** Retries after a rate limit before giving up. */
  rateLimitRetries?: number;
}

const ThrottledOctokit = Octokit.plugin(throttling, retry);

export class GitHubClient {
  readonly baseUrl: string;
  /** HTTP requests actually sent (304s included): what the benchmarks count. */
  requests = 0;
  rateLimit: { limit: number; remaining: number; reset: number } | null = null;
  private readonly octokit: InstanceType<typeof ThrottledOctokit>;
  private readonly etags = new Map<string, { etag: string; data: unknown }>();

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
      retry: { doNotRetry: [304, 400, 401, 403, 404, 410, 422, 451] },
    });
    this.octokit.hook.wrap('request', async (request, options) => {
      const key = options.method === 'GET' ? `${options.url}?${JSON.stringify(Object.entries(options).filter(([k]) => !['method', 'url', 'headers', 'request', 'baseUrl', 'mediaType'].includes(k)))}` : null;
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

  /** Every page of a REST list (bounded), validated item by item. */
  async list<S extends z.ZodType>(route: string, params: Record<string, unknown>, schema: S, maxItems = 1000): Promise<z.infer<S>[]> {
    const out: z.infer<S>[] = [];
    let page = 1;
    for (;;) {
      const response = await this.call(() => this.octokit.request(`GET ${route}`, { ...params, per_page: 100, page }));
      const data = response.data as unknown;
      const items = Array.isArray(data) ? data : [];
      for (const item of items) out.push(this.check(schema, item, route));
      const link = String((response.headers as Record<string, unknown>).link ?? '');
      if (!/rel="next"/.test(link) || out.length >= maxItems || items.length === 0) return out.slice(0, maxItems);
      page++;
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
    throw new GitHubError('invalidResponse', `GitHub's answer to ${where} lacks what Code Lineage needs: ${issue.path.join('.') || '(top)'}: ${issue.message} (an older Enterprise Server?)`);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (GitHubError.is(e)) throw e;
      const status = (e as { status?: number }).status;
      const host = new URL(this.baseUrl).host;
      if (status === 401) throw new GitHubError('unauthorized', `${host} refused the token (401): it may be revoked or expired; sign in again, or set GITHUB_TOKEN / run "gh auth login"`);
      if (status === 404) throw new GitHubError('notFound', `${host} answered 404: the repository does not exist or the token cannot see it`);
      if (status === 403 || status === 429) throw new GitHubError('rateLimited', `${host} rate limit reached (${status}); try again after it resets`);
      if (status === undefined || status === 500 || status === 502 || status === 503) throw new GitHubError('unreachable', `cannot reach ${host}: ${(e as Error).message}`);
      throw new GitHubError('failed', `${host}: ${(e as Error).message}`);
    }
  }
}
