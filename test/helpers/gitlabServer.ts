/**
 * A local server that answers like GitLab's REST API (and its GraphQL for vulnerabilities and merge
 * requests' system notes), for
 * tests that cannot reach gitlab.com. Every answer starts from the response example GitLab's API
 * documentation gives for that endpoint (test/fixtures/gitlab/api-examples.json), with ids, shas,
 * names and times filled in from the test's data. It implements what clients must cope with:
 * offset pagination (Link, X-Next-Page, X-Total headers), ETags with 304, RateLimit-* headers,
 * 429 with Retry-After, 401 for a bad token, 403 for a feature the token or tier lacks, 404 for
 * a project it cannot see, and a self-managed instance under a path prefix (/gitlab).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const examples = JSON.parse(readFileSync(join(__dirname, '../fixtures/gitlab/api-examples.json'), 'utf8')).examples as Record<string, any>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export interface FakeGitlabDeployment {
  id: number;
  environment: string;
  sha: string;
  /** When its status last changed. */
  at: string;
  user: string;
  status: 'created' | 'running' | 'success' | 'failed' | 'canceled' | 'blocked';
  /** Deployment approvals in a protected environment. */
  approvals?: { user: string; status: 'approved' | 'rejected'; at: string; comment?: string }[];
}

export interface FakeMergeRequest {
  iid: number;
  title: string;
  author: string;
  state: 'opened' | 'closed' | 'merged';
  sourceBranch: string;
  /** The head now. */
  sha: string;
  mergeCommit: string | null;
  squashCommit?: string | null;
  mergedAt: string | null;
  updatedAt: string;
  /** Every commit GitLab associates with the merge request (its branch's, and its merge commit). */
  commits: string[];
  /** Its diff versions: each push, with the head it made. */
  versions: { id: number; head: string; at: string }[];
  /** System notes (approvals and their withdrawal) and comments. */
  notes: { id: number; author: string; body: string; at: string; system: boolean }[];
}

export interface FakeGitlabData {
  /** The project's full path, group/subgroup/name. */
  project: string;
  token: string;
  /** A job token (CI_JOB_TOKEN) the server also accepts, as GitLab CI's. */
  jobToken?: string;
  environments: string[];
  deployments: FakeGitlabDeployment[];
  mergeRequests: FakeMergeRequest[];
  /** Jobs and external statuses of commits. */
  statuses?: { id: number; sha: string; name: string; status: string; allowFailure?: boolean }[];
  pipelines?: { id: number; sha: string; ref: string; status: string; at: string }[];
  /** Protected environments with their approval rules (Premium); absent: 403 as on the Free tier. */
  protectedEnvironments?: { name: string; approvers: string[]; required: number }[];
  /** Vulnerabilities (Ultimate); absent: the project has no vulnerability report. */
  vulnerabilities?: { id: number; title: string; severity: string; file: string; line: number; commit: string; scanner: string }[];
}

export class FakeGitLab {
  readonly requests: { method: string; path: string; status: number; auth: string | null }[] = [];
  /** Answer this many requests with 429 and Retry-After first. */
  rateLimited = 0;
  /** Requests whose path contains this answer 403 as for a token without the permission. */
  forbiddenPath: string | null = null;
  /** GraphQL's complexity limit (GitLab's for a signed-in caller: 250). */
  maxComplexity = 250;
  /** Refuse the merge request notes query as a GitLab older than NotesFilterType (16.x) would. */
  refusesNotesQuery = false;
  /** Requests whose path contains this answer 500 once each time they are set. */
  failingPath: string | null = null;
  private server: Server | undefined;
  url = '';
  /** The instance URL clients are given: the server's root, or under /gitlab (relative URL root). */
  instance = '';

  constructor(
    readonly data: FakeGitlabData,
    readonly prefix: '' | '/gitlab' = '',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.instance = `${this.url}${this.prefix}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  count(): number {
    return this.requests.length;
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    const etag = `W/"${createHash('sha1').update(text).digest('hex')}"`;
    const auth = (req.headers['private-token'] ?? req.headers['job-token'] ?? req.headers.authorization ?? null) as string | null;
    const common = {
      'content-type': 'application/json',
      'ratelimit-limit': '2000',
      'ratelimit-remaining': String(2000 - this.requests.length),
      'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60),
      ...headers,
    };
    if (status === 200 && req.method === 'GET' && req.headers['if-none-match'] === etag) {
      this.requests.push({ method: req.method ?? 'GET', path: req.url ?? '', status: 304, auth });
      res.writeHead(304, { ...common, etag });
      res.end();
      return;
    }
    this.requests.push({ method: req.method ?? 'GET', path: req.url ?? '', status, auth });
    res.writeHead(status, status === 200 ? { ...common, etag } : common);
    res.end(text);
  }

  /** One page of a list, with GitLab's offset-pagination headers. */
  private page(req: IncomingMessage, res: ServerResponse, url: URL, items: unknown[]): void {
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 20));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const pages = Math.max(1, Math.ceil(items.length / perPage));
    const headers: Record<string, string> = {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-total': String(items.length),
      'x-total-pages': String(pages),
      'x-next-page': page < pages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
    };
    if (page < pages) {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${this.url}${next.pathname}${next.search}>; rel="next"`;
    }
    this.send(req, res, 200, slice, headers);
  }

  private deployment(d: FakeGitlabDeployment, withApprovals: boolean): unknown {
    const example = clone(examples.deployment);
    example.id = d.id;
    example.iid = d.id;
    example.sha = d.sha;
    example.status = d.status;
    example.created_at = d.at;
    example.updated_at = d.at;
    example.user.username = d.user;
    example.environment.name = d.environment;
    example.environment.id = this.data.environments.indexOf(d.environment) + 1;
    example.deployable.id = d.id * 10;
    example.deployable.web_url = `${this.instance}/${this.data.project}/-/jobs/${d.id * 10}`;
    example.deployable.commit.id = d.sha;
    example.deployable.pipeline.sha = d.sha;
    if (withApprovals) {
      example.pending_approval_count = 0;
      example.approvals = (d.approvals ?? []).map((a) => {
        const approval = clone(examples.deploymentApproval);
        approval.user.username = a.user;
        approval.status = a.status;
        approval.created_at = a.at;
        approval.comment = a.comment ?? null;
        return approval;
      });
    }
    return example;
  }

  private mergeRequest(mr: FakeMergeRequest): unknown {
    const example = clone(examples.mergeRequest);
    Object.assign(example, {
      id: 1000 + mr.iid,
      iid: mr.iid,
      title: mr.title,
      state: mr.state,
      sha: mr.sha,
      merge_commit_sha: mr.mergeCommit,
      squash_commit_sha: mr.squashCommit ?? null,
      source_branch: mr.sourceBranch,
      merged_at: mr.mergedAt,
      updated_at: mr.updatedAt,
      web_url: `${this.instance}/${this.data.project}/-/merge_requests/${mr.iid}`,
    });
    example.author.username = mr.author;
    return example;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (!url.pathname.startsWith(`${this.prefix}/api/`)) {
      this.send(req, res, 404, { message: '404 Not Found' });
      return;
    }
    const path = url.pathname.slice(this.prefix.length);
    const token = req.headers['private-token'] ?? req.headers['job-token'] ?? (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (token !== this.data.token && !(this.data.jobToken && token === this.data.jobToken)) {
      this.send(req, res, 401, { message: '401 Unauthorized' });
      return;
    }
    if (this.rateLimited > 0) {
      this.rateLimited--;
      this.send(req, res, 429, { message: 'Retry later' }, { 'retry-after': '1', 'ratelimit-remaining': '0' });
      return;
    }
    if (this.forbiddenPath && path.includes(this.forbiddenPath)) {
      this.send(req, res, 403, { message: '403 Forbidden' });
      return;
    }
    if (this.failingPath && path.includes(this.failingPath)) {
      this.failingPath = null;
      this.send(req, res, 500, { message: '500 Internal Server Error' });
      return;
    }
    if (path === '/api/graphql' && req.method === 'POST') return this.graphql(req, res);
    if (path === '/api/v4/version' || path === '/api/v4/metadata') {
      this.send(req, res, 200, examples.version);
      return;
    }
    const m = /^\/api\/v4\/projects\/([^/]+)(\/.*)?$/.exec(path);
    const projectPath = m ? decodeURIComponent(m[1]!) : null;
    if (!m || projectPath !== this.data.project) {
      this.send(req, res, 404, { message: '404 Project Not Found' });
      return;
    }
    const rest = m[2] ?? '';
    const d = this.data;
    if (rest === '') {
      const project = clone(examples.project);
      Object.assign(project, {
        path_with_namespace: d.project,
        name: d.project.split('/').pop(),
        web_url: `${this.instance}/${d.project}`,
      });
      this.send(req, res, 200, project);
      return;
    }
    if (rest === '/environments') {
      this.page(
        req,
        res,
        url,
        d.environments.map((name, i) => ({ ...clone(examples.environment), id: i + 1, name, slug: name, state: 'available' })),
      );
      return;
    }
    if (rest === '/deployments') {
      let list = [...d.deployments];
      const env = url.searchParams.get('environment');
      const status = url.searchParams.get('status');
      if (env) list = list.filter((x) => x.environment === env);
      if (status) list = list.filter((x) => x.status === status);
      const after = url.searchParams.get('updated_after');
      if (after) list = list.filter((x) => x.at > after);
      list.sort((a, b) => (url.searchParams.get('sort') === 'desc' ? b.id - a.id : a.id - b.id));
      this.page(
        req,
        res,
        url,
        list.map((x) => this.deployment(x, false)),
      );
      return;
    }
    const single = /^\/deployments\/(\d+)$/.exec(rest);
    if (single) {
      const found = d.deployments.find((x) => x.id === Number(single[1]));
      if (found) this.send(req, res, 200, this.deployment(found, true));
      else this.send(req, res, 404, { message: '404 Not found' });
      return;
    }
    if (rest === '/protected_environments') {
      if (!d.protectedEnvironments) {
        this.send(req, res, 403, { message: '403 Forbidden' });
        return;
      }
      this.page(
        req,
        res,
        url,
        d.protectedEnvironments.map((p) => {
          const example = clone(examples.protectedEnvironment);
          example.name = p.name;
          example.required_approval_count = p.required;
          example.approval_rules = p.approvers.map((who, i) => ({
            ...clone(examples.protectedEnvironment.approval_rules[0]),
            id: i + 1,
            access_level_description: who,
          }));
          return example;
        }),
      );
      return;
    }
    const commitMrs = /^\/repository\/commits\/([0-9a-f]{40})\/merge_requests$/.exec(rest);
    if (commitMrs) {
      this.page(
        req,
        res,
        url,
        d.mergeRequests.filter((mr) => mr.commits.includes(commitMrs[1]!)).map((mr) => this.mergeRequest(mr)),
      );
      return;
    }
    const statuses = /^\/repository\/commits\/([0-9a-f]{40})\/statuses$/.exec(rest);
    if (statuses) {
      this.page(
        req,
        res,
        url,
        (d.statuses ?? [])
          .filter((s) => s.sha === statuses[1])
          .map((s) => ({
            ...clone(examples.commitStatus),
            id: s.id,
            sha: s.sha,
            name: s.name,
            status: s.status,
            allow_failure: s.allowFailure ?? false,
          })),
      );
      return;
    }
    if (rest === '/merge_requests') {
      let list = [...d.mergeRequests].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
      const after = url.searchParams.get('updated_after');
      if (after) list = list.filter((x) => x.updatedAt > after);
      this.page(
        req,
        res,
        url,
        list.map((mr) => this.mergeRequest(mr)),
      );
      return;
    }
    const mrPart = /^\/merge_requests\/(\d+)\/(notes|versions)$/.exec(rest);
    if (mrPart) {
      const mr = d.mergeRequests.find((x) => x.iid === Number(mrPart[1]));
      if (!mr) {
        this.send(req, res, 404, { message: '404 Not found' });
        return;
      }
      if (mrPart[2] === 'versions') {
        this.send(
          req,
          res,
          200,
          [...mr.versions]
            .sort((a, b) => b.at.localeCompare(a.at))
            .map((v) => ({
              ...clone(examples.mergeRequestVersion),
              id: v.id,
              head_commit_sha: v.head,
              created_at: v.at,
              merge_request_id: 1000 + mr.iid,
            })),
        );
        return;
      }
      const notes = this.notesOf(mr);
      this.page(
        req,
        res,
        url,
        notes.map((n) => {
          const example = clone(examples.note);
          Object.assign(example, { id: n.id, body: n.body, created_at: n.at, updated_at: n.at, system: n.system, noteable_iid: mr.iid });
          example.author.username = n.author;
          return example;
        }),
      );
      return;
    }
    if (rest === '/pipelines') {
      const list = [...(d.pipelines ?? [])].sort((a, b) => b.id - a.id);
      this.page(
        req,
        res,
        url,
        list.map((p) => ({
          ...clone(examples.pipeline),
          id: p.id,
          iid: p.id,
          sha: p.sha,
          ref: p.ref,
          status: p.status,
          created_at: p.at,
          updated_at: p.at,
        })),
      );
      return;
    }
    const jobs = /^\/pipelines\/(\d+)\/jobs$/.exec(rest);
    if (jobs) {
      const pipeline = (d.pipelines ?? []).find((p) => p.id === Number(jobs[1]));
      const list = (d.statuses ?? []).filter((s) => pipeline && s.sha === pipeline.sha);
      this.page(
        req,
        res,
        url,
        list.map((s) => ({ ...clone(examples.job), id: s.id, name: s.name, status: s.status, allow_failure: s.allowFailure ?? false })),
      );
      return;
    }
    this.send(req, res, 404, { message: '404 Not Found' });
  }

  /** A merge request's notes, oldest first: the test's, and the system note GitLab writes for every push after the first. */
  private notesOf(mr: FakeMergeRequest): FakeMergeRequest['notes'] {
    const pushes = [...mr.versions]
      .sort((a, b) => a.at.localeCompare(b.at))
      .slice(1)
      .map((v) => ({
        id: 100_000 + v.id,
        author: mr.author,
        body: `added 1 commit\n\n<ul><li>${v.head.slice(0, 8)} - push</li></ul>\n\n[Compare with previous version](${this.instance}/${this.data.project}/-/merge_requests/${mr.iid}/diffs)`,
        at: v.at,
        system: true,
      }));
    return [...mr.notes, ...pushes].sort((a, b) => a.at.localeCompare(b.at));
  }

  /**
   * `project.mergeRequests(iids:)` with each one's `notes(filter: ONLY_ACTIVITY, first: 100)`, in
   * the shape of GitLab's GraphQL reference (Note: a global id, `createdAt` to the second).
   */
  private mergeRequestNotes(
    req: IncomingMessage,
    res: ServerResponse,
    variables: { fullPath: string; iids: string[]; first: number },
  ): void {
    if (this.refusesNotesQuery) {
      this.send(req, res, 200, { errors: [{ message: "Field 'notes' doesn't accept argument 'filter'" }] });
      return;
    }
    if (variables.fullPath !== this.data.project) {
      this.send(req, res, 200, { data: { project: null } });
      return;
    }
    const nodes = this.data.mergeRequests
      .filter((mr) => variables.iids.includes(String(mr.iid)))
      .slice(0, variables.first)
      .map((mr) => {
        const system = this.notesOf(mr).filter((n) => n.system);
        return {
          iid: String(mr.iid),
          notes: {
            pageInfo: { hasNextPage: system.length > 100 },
            nodes: system.slice(0, 100).map((n) => ({
              id: `gid://gitlab/Note/${n.id}`,
              body: n.body,
              system: true,
              createdAt: `${n.at.slice(0, 19)}Z`,
              author: { username: n.author },
            })),
          },
        };
      });
    this.send(req, res, 200, { data: { project: { mergeRequests: { nodes } } } });
  }

  private async graphql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      query: string;
      variables: { fullPath: string; after: string | null; first: number; iids?: string[] };
    };
    if (query.includes('LineageMergeRequestNotes')) {
      this.mergeRequestNotes(req, res, { ...variables, iids: variables.iids ?? [] });
      return;
    }
    // GitLab prices a connection by its page size; past the limit it answers with an error, as here.
    const complexity = 1 + variables.first * 17;
    if (complexity > this.maxComplexity) {
      this.send(req, res, 200, {
        errors: [{ message: `Query has complexity of ${complexity}, which exceeds max complexity of ${this.maxComplexity}` }],
      });
      return;
    }
    if (variables.fullPath !== this.data.project) {
      this.send(req, res, 200, { data: { project: null } });
      return;
    }
    if (!this.data.vulnerabilities) {
      this.send(req, res, 200, { data: { project: { vulnerabilities: null } } });
      return;
    }
    const start = variables.after ? Number(variables.after) : 0;
    const nodes = this.data.vulnerabilities.slice(start, start + variables.first).map((v) => ({
      id: `gid://gitlab/Vulnerability/${v.id}`,
      title: v.title,
      severity: v.severity,
      state: 'DETECTED',
      reportType: 'SAST',
      detectedAt: '2026-03-01T00:00:00Z',
      webUrl: `${this.instance}/${this.data.project}/-/security/vulnerabilities/${v.id}`,
      scanner: { name: v.scanner },
      identifiers: [{ externalId: 'CWE-79', name: 'CWE-79' }],
      location: {
        file: v.file,
        startLine: String(v.line),
        endLine: String(v.line),
        blobPath: `/${this.data.project}/-/blob/${v.commit}/${v.file}#L${v.line}`,
      },
    }));
    const more = start + 100 < this.data.vulnerabilities.length;
    this.send(req, res, 200, {
      data: { project: { vulnerabilities: { pageInfo: { hasNextPage: more, endCursor: more ? String(start + 100) : null }, nodes } } },
    });
  }
}
