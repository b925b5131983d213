/**
 * A local server that answers like GitHub, for tests that cannot reach github.com. REST answers
 * are GitHub's own response examples (test/fixtures/github/openapi-examples.json, extracted from
 * @octokit/openapi) or responses recorded from api.github.com (@octokit/fixtures), with ids, shas
 * and names filled in from the test's data. Attestation bundles offered by URL are served, Snappy
 * compressed, from a second server standing in for blob storage. It implements
 * pagination Link headers, ETags with 304s, rate-limit headers, a secondary-rate-limit 403 with
 * Retry-After, 401 for a bad token, 404; and a /graphql endpoint that answers the project's
 * queries from the same data.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { compress } from 'snappyjs';
import { recordedResponse } from './recordedGitHub';

const examples = JSON.parse(readFileSync(join(__dirname, '../fixtures/github/openapi-examples.json'), 'utf8')).examples as Record<
  string,
  any
>;

export interface FakeDeployment {
  id: number;
  environment: string;
  sha: string;
  createdAt: string;
  creator: string;
  /** The latest status. */
  state: 'success' | 'inactive' | 'failure' | 'error' | 'pending';
  task?: string;
  /** The artifact the deployment's payload names. */
  digest?: string;
  /** The Actions run that deployed (its status's log_url names it), and its environment reviews. */
  runId?: number;
  reviews?: { login: string; state: 'approved' | 'rejected'; comment: string }[];
}

export interface FakeDeploymentRecord {
  id: number;
  digest: string;
  environment: string;
  physical?: string;
  cluster?: string;
  deploymentName?: string;
  updatedAt: string;
  status?: 'deployed' | 'decommissioned';
}

export interface FakePull {
  number: number;
  title: string;
  author: string;
  state: 'OPEN' | 'CLOSED' | 'MERGED';
  headSha: string;
  headRef: string;
  mergeCommit: string | null;
  mergedAt: string | null;
  commits: string[];
  reviews: { id: number; user: string; state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED'; commit: string; submittedAt: string }[];
}

export interface FakeAlert {
  number: number;
  path: string;
  line: number;
  commit: string;
  rule: string;
  severity: 'error' | 'warning' | 'note';
  description: string;
}

export interface FakeGitHubData {
  owner: string;
  name: string;
  token: string;
  environments: string[];
  deployments: FakeDeployment[];
  pulls: FakePull[];
  alerts: FakeAlert[];
  checks?: { id: number; sha: string; name: string; conclusion: 'success' | 'failure' | null }[];
  /** Artifact attestations: SLSA v1 provenance of `digest` built from `commit`; `byUrl` offers the bundle only at a bundle_url. */
  attestations?: { digest: string; commit: string; byUrl?: boolean }[];
  /** Commit statuses (the combined status of a commit). */
  statuses?: { id: number; sha: string; context: string; state: 'success' | 'failure' | 'error' | 'pending' }[];
  /** The organisation's artifact deployment records; absent: the owner has none (404, as for a user). */
  records?: FakeDeploymentRecord[];
  /** Environments' protection rules: required reviewers (users, or teams as `team:<slug>`) and a wait timer. */
  protection?: Record<string, { reviewers: string[]; waitMinutes?: number; preventSelfReview?: boolean }>;
  /** Workflow runs, newest first, with the artifacts each uploaded. */
  runs?: {
    id: number;
    sha: string;
    name: string;
    conclusion: string | null;
    updatedAt: string;
    artifacts?: { id: number; name: string; digest?: string }[];
  }[];
}

export class FakeGitHub {
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** Answer this many requests with a secondary-rate-limit 403 first. */
  secondaryLimits = 0;
  /** Answer this many requests with a primary rate limit (403, remaining 0, reset in a second). */
  primaryLimits = 0;
  /** Requests whose path contains this answer 404, to interrupt a run. */
  brokenPath: string | null = null;
  /** Requests whose path contains this answer 403 as for a token without the permission. */
  forbiddenPath: string | null = null;
  /** Requests that reached the blob-storage stand-in, with the Authorization header they carried. */
  readonly blobRequests: { path: string; authorization: string | null }[] = [];
  /** GraphQL fields the schema lacks, as on an older Enterprise Server (`Type.field`). */
  olderSchema: string[] = [];
  /** Serve bundles that are not Snappy-compressed. */
  corruptBlobs = false;
  private server: Server | undefined;
  private blobServer: Server | undefined;
  private blobUrl = '';
  private readonly bundles = new Map<string, Buffer>();
  url = '';
  /** Where the REST API is: the server's root, or `/api/v3` as on Enterprise Server (GraphQL then at `/api/graphql`). */
  apiUrl = '';

  constructor(
    readonly data: FakeGitHubData,
    private readonly layout: 'github.com' | 'enterprise' = 'github.com',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.apiUrl = this.layout === 'enterprise' ? `${this.url}/api/v3` : this.url;
    this.blobServer = createServer((req, res) => {
      this.blobRequests.push({ path: req.url ?? '', authorization: req.headers.authorization ?? null });
      const body = this.bundles.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (!body) {
        res.writeHead(404, { 'content-type': 'application/xml' });
        res.end('<Error><Code>BlobNotFound</Code></Error>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(this.corruptBlobs ? Buffer.from('{"not":"snappy"}') : body);
    });
    await new Promise<void>((resolve) => this.blobServer!.listen(0, '127.0.0.1', () => resolve()));
    this.blobUrl = `http://127.0.0.1:${(this.blobServer.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
    await new Promise((resolve) => this.blobServer?.close(resolve));
  }

  private payload(d: FakeDeployment): Record<string, string> {
    return d.digest ? { image: `ghcr.io/${this.data.owner}/${this.data.name}@${d.digest}`, digest: d.digest } : {};
  }

  /** GraphQL answers the fields asked for, and only those. */
  private asked(query: string, field: string, value: unknown): Record<string, unknown> {
    return new RegExp(`\\b${field}\\b`).test(query) ? { [field]: value } : {};
  }

  /** An environment's protection rules as GitHub's GraphQL gives them. */
  private protectionRules(query: string, name: string): unknown {
    const rules = this.data.protection?.[name];
    if (!rules) return { nodes: [] };
    return {
      nodes: [
        ...(rules.waitMinutes ? [{ type: 'WAIT_TIMER', timeout: rules.waitMinutes, reviewers: { nodes: [] } }] : []),
        {
          type: 'REQUIRED_REVIEWERS',
          timeout: 0,
          ...this.asked(query, 'preventSelfReview', rules.preventSelfReview ?? false),
          reviewers: {
            nodes: rules.reviewers.map((r) =>
              r.startsWith('team:') ? { __typename: 'Team', slug: r.slice(5) } : { __typename: 'User', login: r },
            ),
          },
        },
      ],
    };
  }

  /** Deployments as GraphQL nodes, newest first, at most `first`. */
  private deploymentNodes(query: string, which: (d: FakeDeployment) => boolean, first: number): unknown[] {
    return [...this.data.deployments]
      .filter(which)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, first)
      .map((d) => ({
        databaseId: d.id,
        environment: d.environment,
        createdAt: d.createdAt,
        ...this.asked(query, 'description', null),
        ...this.asked(query, 'task', d.task ?? 'deploy'),
        ...this.asked(query, 'payload', JSON.stringify(this.payload(d))),
        commitOid: d.sha,
        creator: { login: d.creator },
        latestStatus: {
          state: d.state.toUpperCase(),
          createdAt: d.createdAt,
          ...this.asked(query, 'environmentUrl', null),
          ...this.asked(
            query,
            'logUrl',
            d.runId ? `https://github.com/${this.data.owner}/${this.data.name}/actions/runs/${d.runId}/job/${d.runId * 10}` : null,
          ),
        },
      }));
  }

  count(filter: (r: { method: string; path: string; status: number }) => boolean = () => true): number {
    return this.requests.filter(filter).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    if (this.layout === 'enterprise') {
      // Enterprise Server: REST under /api/v3, GraphQL at /api/graphql; nothing at the root.
      if (url.pathname === '/api/graphql') url.pathname = '/graphql';
      else if (url.pathname.startsWith('/api/v3/')) url.pathname = url.pathname.slice('/api/v3'.length);
      else url.pathname = '/not-the-api';
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname, status });
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': String(5000 - this.requests.length),
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        'x-ratelimit-resource': url.pathname === '/graphql' ? 'graphql' : 'core',
        ...headers,
      });
      res.end(text);
    };
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${this.data.token}` && auth !== `bearer ${this.data.token}` && auth !== `Bearer ${this.data.token}`) {
      send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
      return;
    }
    if (this.primaryLimits > 0) {
      this.primaryLimits--;
      send(
        403,
        {
          message: 'API rate limit exceeded for user ID 1.',
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
        },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1) },
      );
      return;
    }
    if (this.secondaryLimits > 0) {
      this.secondaryLimits--;
      send(
        403,
        { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
        { 'retry-after': '1' },
      );
      return;
    }
    const repoPath = `/repos/${this.data.owner}/${this.data.name}`;
    if (this.brokenPath && url.pathname.includes(this.brokenPath)) {
      send(404, { message: 'Not Found' });
      return;
    }
    if (this.forbiddenPath && url.pathname.includes(this.forbiddenPath)) {
      send(403, {
        message: 'Resource not accessible by personal access token',
        documentation_url: 'https://docs.github.com/rest',
        status: '403',
      });
      return;
    }
    const withEtag = (body: unknown, headers: Record<string, string> = {}) => {
      const etag = `W/"${createHash('sha1').update(JSON.stringify(body)).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        send(304, undefined, { etag });
        return;
      }
      send(200, body, { etag, ...headers });
    };
    const paged = (items: unknown[]) => {
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const page = Number(url.searchParams.get('page') ?? 1);
      const slice = items.slice((page - 1) * perPage, page * perPage);
      const links: string[] = [];
      const at = (p: number) => {
        const u = new URL(url.toString());
        u.searchParams.set('page', String(p));
        return `<${this.apiUrl}${u.pathname}${u.search}>`;
      };
      if (page * perPage < items.length) links.push(`${at(page + 1)}; rel="next"`, `${at(Math.ceil(items.length / perPage))}; rel="last"`);
      withEtag(slice, links.length ? { link: links.join(', ') } : {});
    };

    if (req.method === 'GET' && url.pathname === '/rate_limit') {
      withEtag(examples['rate-limit-overview']);
      return;
    }
    if (req.method === 'GET' && url.pathname === `${repoPath}/code-scanning/alerts`) {
      const template = examples['code-scanning-alert-items'][0];
      paged(
        this.data.alerts.map((a) => ({
          ...template,
          number: a.number,
          state: 'open',
          html_url: `https://github.com/${this.data.owner}/${this.data.name}/security/code-scanning/${a.number}`,
          rule: { ...template.rule, id: a.rule, severity: a.severity, description: a.description },
          most_recent_instance: {
            ...template.most_recent_instance,
            commit_sha: a.commit,
            location: { path: a.path, start_line: a.line, end_line: a.line, start_column: 1, end_column: 2 },
          },
        })),
      );
      return;
    }
    const oneAlert = new RegExp(`^${repoPath}/code-scanning/alerts/(\\d+)$`).exec(url.pathname);
    if (req.method === 'GET' && oneAlert) {
      const a = this.data.alerts.find((x) => x.number === Number(oneAlert[1]));
      if (!a) {
        send(404, { message: `No alert found for alert number ${oneAlert[1]!}`, documentation_url: 'https://docs.github.com/rest' });
        return;
      }
      const template = examples['code-scanning-alert'];
      withEtag({
        ...template,
        number: a.number,
        state: 'open',
        dismissed_by: null,
        dismissed_at: null,
        dismissed_reason: null,
        html_url: `https://github.com/${this.data.owner}/${this.data.name}/security/code-scanning/${a.number}`,
        rule: { ...template.rule, id: a.rule, severity: a.severity, description: a.description },
        most_recent_instance: {
          ...template.most_recent_instance,
          commit_sha: a.commit,
          location: { path: a.path, start_line: a.line, end_line: a.line, start_column: 1, end_column: 2 },
        },
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === `${repoPath}/deployments`) {
      const template = examples['deployment-items'][0];
      const env = url.searchParams.get('environment');
      paged(
        this.data.deployments
          .filter((d) => !env || d.environment === env)
          .map((d) => ({
            ...template,
            id: d.id,
            sha: d.sha,
            environment: d.environment,
            payload: this.payload(d),
            created_at: d.createdAt,
            creator: { ...template.creator, login: d.creator },
          })),
      );
      return;
    }
    const statuses = new RegExp(`^${repoPath}/deployments/(\\d+)/statuses$`).exec(url.pathname);
    if (req.method === 'GET' && statuses) {
      const d = this.data.deployments.find((x) => x.id === Number(statuses[1]));
      if (!d) {
        send(404, { message: 'Not Found' });
        return;
      }
      const template = examples['deployment-status-items'][0];
      const logUrl = d.runId ? `https://github.com/${this.data.owner}/${this.data.name}/actions/runs/${d.runId}/job/${d.runId * 10}` : '';
      paged([{ ...template, id: d.id * 10, state: d.state, created_at: d.createdAt, environment: d.environment, log_url: logUrl }]);
      return;
    }
    if (req.method === 'GET' && url.pathname === `${repoPath}/actions/runs`) {
      const template = examples['workflow-run-paginated'].workflow_runs[0];
      const runs = (this.data.runs ?? []).map((r) => ({
        ...template,
        id: r.id,
        name: r.name,
        head_sha: r.sha,
        status: 'completed',
        conclusion: r.conclusion,
        html_url: `https://github.com/${this.data.owner}/${this.data.name}/actions/runs/${r.id}`,
        run_started_at: r.updatedAt,
        created_at: r.updatedAt,
        updated_at: r.updatedAt,
      }));
      send(200, { total_count: runs.length, workflow_runs: runs });
      return;
    }
    const runArtifacts = new RegExp(`^${repoPath}/actions/runs/(\\d+)/artifacts$`).exec(url.pathname);
    if (req.method === 'GET' && runArtifacts) {
      const template = examples['artifact-paginated'].artifacts[0];
      const run = (this.data.runs ?? []).find((r) => r.id === Number(runArtifacts[1]));
      const artifacts = (run?.artifacts ?? []).map((a) => ({ ...template, id: a.id, name: a.name, digest: a.digest ?? null }));
      send(200, { total_count: artifacts.length, artifacts });
      return;
    }
    const approvals = new RegExp(`^${repoPath}/actions/runs/(\\d+)/approvals$`).exec(url.pathname);
    if (req.method === 'GET' && approvals) {
      const template = examples['environment-approvals-items'][0];
      const runs = this.data.deployments.filter((x) => x.runId === Number(approvals[1]));
      send(
        200,
        runs.flatMap((d) =>
          (d.reviews ?? []).map((r) => ({
            ...template,
            state: r.state,
            comment: r.comment,
            user: { ...template.user, login: r.login },
            environments: [{ ...template.environments[0], name: d.environment }],
          })),
        ),
      );
      return;
    }
    if (req.method === 'GET' && url.pathname === `${repoPath}/pulls`) {
      const template = examples['pull-request-simple-items'][0];
      paged(
        [...this.data.pulls].reverse().map((p) => ({
          ...template,
          number: p.number,
          title: p.title,
          html_url: `https://github.com/${this.data.owner}/${this.data.name}/pull/${p.number}`,
          state: p.state === 'OPEN' ? 'open' : 'closed',
          user: { ...template.user, login: p.author },
          merged_at: p.mergedAt,
          merge_commit_sha: p.mergeCommit,
          updated_at: p.mergedAt ?? '2026-03-01T00:00:00Z',
          head: { ...template.head, sha: p.headSha, ref: p.headRef },
          base: { ...template.base, ref: 'main' },
        })),
      );
      return;
    }
    const attest = new RegExp(`^${repoPath}/attestations/(sha256:[0-9a-f]{64})$`).exec(decodeURIComponent(url.pathname));
    if (req.method === 'GET' && attest) {
      const template = examples['list-attestations'].attestations[0];
      const found = (this.data.attestations ?? []).filter((a) => a.digest === attest[1]);
      if (found.length === 0) {
        send(404, { message: 'Not Found' });
        return;
      }
      withEtag({
        attestations: found.map((a, i) => {
          const statement = {
            _type: 'https://in-toto.io/Statement/v1',
            subject: [{ name: 'app', digest: { sha256: a.digest.slice(7) } }],
            predicateType: 'https://slsa.dev/provenance/v1',
            predicate: {
              buildDefinition: {
                buildType: 'https://actions.github.io/buildtypes/workflow/v1',
                externalParameters: {},
                resolvedDependencies: [
                  { uri: `git+https://github.com/${this.data.owner}/${this.data.name}@refs/heads/main`, digest: { gitCommit: a.commit } },
                ],
              },
              runDetails: {
                builder: { id: 'https://github.com/actions/runner/github-hosted' },
                metadata: { invocationId: 'run-1', startedOn: '2026-03-02T09:00:00Z', finishedOn: '2026-03-02T09:05:00Z' },
              },
            },
          };
          const bundle = {
            mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
            verificationMaterial: {},
            dsseEnvelope: {
              payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
              payloadType: 'application/vnd.in-toto+json',
              signatures: [{ sig: 'c2ln', keyid: '' }],
            },
          };
          if (!a.byUrl) return { ...template, bundle };
          // As GitHub does for newer attestations: no bundle inline, a signed blob-storage URL instead.
          const path = `/attestations/${a.digest.slice(7, 19)}/${i}.json.sn`;
          this.bundles.set(path, Buffer.from(compress(new Uint8Array(Buffer.from(JSON.stringify(bundle))))));
          const { bundle: _inline, ...rest } = template as { bundle?: unknown };
          return { ...rest, bundle_url: `${this.blobUrl}${path}?se=2026-12-01T00%3A00%3A00Z&sig=c2lnbmF0dXJl&sp=r` };
        }),
      });
      return;
    }
    const records = new RegExp(`^/orgs/${this.data.owner}/artifacts/(sha256:[0-9a-f]{64})/metadata/deployment-records$`).exec(
      decodeURIComponent(url.pathname),
    );
    if (req.method === 'GET' && records) {
      if (!this.data.records) {
        send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/orgs/artifact-metadata' });
        return;
      }
      const template = examples['artifact-deployment-record-list'].deployment_records[0];
      const found = this.data.records.filter((r) => r.digest === records[1]);
      withEtag({
        total_count: found.length,
        deployment_records: found.map((r) => ({
          ...template,
          id: r.id,
          digest: r.digest,
          logical_environment: r.environment,
          physical_environment: r.physical ?? '',
          cluster: r.cluster ?? '',
          deployment_name: r.deploymentName ?? `${r.environment}-deployment`,
          created: r.updatedAt,
          updated_at: r.updatedAt,
          ...(r.status ? { status: r.status } : {}),
        })),
      });
      return;
    }
    const combined = new RegExp(`^${repoPath}/commits/([0-9a-f]{40})/status$`).exec(url.pathname);
    if (req.method === 'GET' && combined) {
      // GitHub's own answer, recorded by @octokit/fixtures, with this commit's statuses.
      const recorded = recordedResponse('create-status', 'GET', /\/commits\/[0-9a-f]{40}\/status$/).response as {
        statuses: Record<string, unknown>[];
      };
      const statuses = (this.data.statuses ?? [])
        .filter((x) => x.sha === combined[1])
        .map((x) => ({ ...recorded.statuses[0], id: x.id, context: x.context, state: x.state, description: `${x.context} ${x.state}` }));
      const state = statuses.some((x) => x.state === 'failure' || x.state === 'error')
        ? 'failure'
        : statuses.some((x) => x.state === 'pending') || statuses.length === 0
          ? 'pending'
          : 'success';
      withEtag({ ...recorded, state, sha: combined[1], total_count: statuses.length, statuses });
      return;
    }
    if (req.method === 'GET' && url.pathname === repoPath) {
      const recorded = recordedResponse('get-repository', 'GET', /^\/repos\/[^/]+\/[^/]+$/).response as Record<string, any>;
      withEtag({
        ...recorded,
        name: this.data.name,
        full_name: `${this.data.owner}/${this.data.name}`,
        owner: { ...recorded.owner, login: this.data.owner },
        private: true,
        visibility: 'private',
        permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
      });
      return;
    }
    const checkRuns = new RegExp(`^${repoPath}/commits/([0-9a-f]{40})/check-runs$`).exec(url.pathname);
    if (req.method === 'GET' && checkRuns) {
      const template = examples['check-run-paginated'].check_runs[0];
      const runs = (this.data.checks ?? [])
        .filter((c) => c.sha === checkRuns[1])
        .map((c) => ({
          ...template,
          id: c.id,
          name: c.name,
          head_sha: c.sha,
          status: c.conclusion ? 'completed' : 'in_progress',
          conclusion: c.conclusion,
        }));
      withEtag({ total_count: runs.length, check_runs: runs });
      return;
    }
    const reviews = new RegExp(`^${repoPath}/pulls/(\\d+)/reviews$`).exec(url.pathname);
    if (req.method === 'GET' && reviews) {
      const p = this.data.pulls.find((x) => x.number === Number(reviews[1]));
      if (!p) {
        send(404, { message: 'Not Found' });
        return;
      }
      const template = examples['pull-request-review-items'][0];
      paged(
        p.reviews.map((r) => ({
          ...template,
          id: r.id,
          user: { ...template.user, login: r.user },
          state: r.state,
          commit_id: r.commit,
          submitted_at: r.submittedAt,
        })),
      );
      return;
    }
    if (req.method === 'POST' && url.pathname === '/graphql') {
      const { query, variables = {} } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        query: string;
        variables?: Record<string, unknown>;
      };
      // GitHub validates the whole query first and answers 200 with every field it does not know.
      const unknown = this.olderSchema.filter((f) => new RegExp(`\\b${f.split('.')[1]}\\b`).test(query));
      if (unknown.length) {
        send(200, {
          errors: unknown.map((f) => {
            const [typeName, fieldName] = f.split('.');
            return {
              path: ['query', 'repository', fieldName],
              extensions: { code: 'undefinedField', typeName, fieldName },
              locations: [{ line: 3, column: 5 }],
              message: `Field '${fieldName}' doesn't exist on type '${typeName}'`,
            };
          }),
        });
        return;
      }
      if (query.includes('LineageDeployments')) {
        const first = Number(/deployments\(first: (\d+)/.exec(query)?.[1] ?? 100);
        send(200, {
          data: {
            repository: {
              ...this.asked(query, 'environments', {
                nodes: this.data.environments.map((name) => ({
                  name,
                  ...this.asked(query, 'protectionRules', this.protectionRules(query, name)),
                })),
              }),
              deployments: { nodes: this.deploymentNodes(query, () => true, first) },
            },
          },
        });
        return;
      }
      if (query.includes('LineageEnvironmentDeployments')) {
        const repository: Record<string, unknown> = {};
        for (const m of query.matchAll(/(e\d+): deployments\(environments: \$(e\d+), first: (\d+)/g)) {
          const names = variables[m[2]!] as string[];
          repository[m[1]!] = { nodes: this.deploymentNodes(query, (d) => names.includes(d.environment), Number(m[3])) };
        }
        send(200, { data: { repository } });
        return;
      }
      if (query.includes('LineageCommits')) {
        const repository: Record<string, unknown> = {};
        for (const m of query.matchAll(/(c\d+): object\(oid: "([0-9a-f]{40})"\)/g)) {
          const sha = m[2]!;
          const pulls = this.data.pulls.filter((p) => p.commits.includes(sha) || p.headSha === sha || p.mergeCommit === sha);
          repository[m[1]!] = {
            associatedPullRequests: {
              nodes: pulls.map((p) => ({
                number: p.number,
                title: p.title,
                url: `https://github.com/${this.data.owner}/${this.data.name}/pull/${p.number}`,
                state: p.state,
                author: { login: p.author },
                headRefOid: p.headSha,
                headRefName: p.headRef,
                baseRefName: 'main',
                mergeCommit: p.mergeCommit ? { oid: p.mergeCommit } : null,
                mergedAt: p.mergedAt,
                updatedAt: p.mergedAt,
                reviews: {
                  nodes: p.reviews.map((r) => ({
                    databaseId: r.id,
                    author: { login: r.user },
                    state: r.state,
                    commit: { oid: r.commit },
                    submittedAt: r.submittedAt,
                  })),
                },
              })),
            },
          };
        }
        send(200, { data: { repository } });
        return;
      }
      send(200, { errors: [{ message: 'this test server does not know that query' }] });
      return;
    }
    send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  }
}
