/**
 * GitHub as a lineage source (direct mode, no service): environments and their deployments with
 * latest statuses, the pull requests of many commits with their reviews (each on the commit it
 * was given on), and open code-scanning alerts on a path. Deployments and pull requests come
 * from GraphQL in as few queries as possible (one for every environment's deployments, one per
 * hundred commits for pull requests); code-scanning alerts from REST with ETags. Results are kept
 * for a short time, so a second file of the same repository costs no request at all. What GitHub
 * cannot say (artifact digests without attestations, builds) stays unknown.
 */
import { z } from 'zod';
import { normalizeInToto } from '../../ingest/intoto';
import type { LineageSource } from '../../lineage/source';
import type { CommitLineage } from '../../model/api';
import type { Build, Deployment, Environment, Finding, PullRequest, Review } from '../../model/domain';
import type { GitHubClient } from './githubClient';
import { alertFinding, CodeScanningAlert, deploymentKind, deploymentStatus, reviewState } from './githubMappings';

const deploymentsQuery = `query LineageDeployments($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    environments(first: 50) { nodes { name } }
    deployments(first: 100, orderBy: { field: CREATED_AT, direction: DESC }) {
      nodes { databaseId environment createdAt description task commitOid creator { login } latestStatus { state createdAt environmentUrl } }
    }
  }
}`;

const GqlDeployment = z.object({
  databaseId: z.number().int().nullable(),
  environment: z.string().nullable(),
  createdAt: z.string(),
  description: z.string().nullable().optional(),
  task: z.string().nullable().optional(),
  commitOid: z.string().regex(/^[0-9a-f]{40}$/),
  creator: z.object({ login: z.string() }).nullable(),
  latestStatus: z.object({ state: z.string(), createdAt: z.string(), environmentUrl: z.string().nullable().optional() }).nullable(),
});

const DeploymentsAnswer = z.object({
  repository: z.object({
    environments: z.object({ nodes: z.array(z.object({ name: z.string() })) }),
    deployments: z.object({ nodes: z.array(GqlDeployment) }),
  }),
});

const GqlReview = z.object({
  databaseId: z.number().int().nullable(),
  author: z.object({ login: z.string() }).nullable(),
  state: z.string(),
  commit: z.object({ oid: z.string() }).nullable(),
  submittedAt: z.string().nullable(),
});

const GqlPullRequest = z.object({
  number: z.number().int(),
  title: z.string().nullable(),
  url: z.string().nullable(),
  state: z.enum(['OPEN', 'CLOSED', 'MERGED']),
  author: z.object({ login: z.string() }).nullable(),
  headRefOid: z.string().nullable(),
  headRefName: z.string().nullable(),
  baseRefName: z.string().nullable(),
  mergeCommit: z.object({ oid: z.string() }).nullable(),
  mergedAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  reviews: z.object({ nodes: z.array(GqlReview) }),
});

const CommitAnswer = z.object({ associatedPullRequests: z.object({ nodes: z.array(GqlPullRequest) }) }).nullable();

const CheckRuns = z.object({
  check_runs: z.array(
    z.object({
      id: z.number(),
      name: z.string(),
      head_sha: z.string(),
      status: z.string(),
      conclusion: z.string().nullable().optional(),
      html_url: z.string().nullable().optional(),
      started_at: z.string().nullable().optional(),
      completed_at: z.string().nullable().optional(),
    }),
  ),
});

const Attestations = z.object({ attestations: z.array(z.object({ bundle: z.record(z.string(), z.unknown()).nullable().optional(), bundle_url: z.string().nullable().optional() })) });

const commitsPerQuery = 100;
const ttlMs = 60_000;


export class GitHubSource implements LineageSource {
  readonly kind = 'github' as const;
  private deploymentsCache = new Map<string, { at: number; value: Promise<{ environments: string[]; deployments: Deployment[] }> }>();
  private readonly lineageCache = new Map<string, { at: number; value: CommitLineage }>();
  private readonly alertsCache = new Map<string, { at: number; value: Promise<Finding[]> }>();

  constructor(private readonly client: GitHubClient) {}

  private split(repo: string): { owner: string; name: string } {
    const [owner, name] = repo.split('/');
    return { owner: owner!, name: name! };
  }

  /** Every environment's recent deployments, in one GraphQL query (cached briefly). */
  private deployments(repo: string) {
    const hit = this.deploymentsCache.get(repo);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = this.client.graphql(deploymentsQuery, this.split(repo), DeploymentsAnswer).then((answer) => ({
      environments: answer.repository.environments.nodes.map((e) => e.name),
      deployments: answer.repository.deployments.nodes.filter((d) => d.environment).map((d) => toDeployment(repo, d)),
    }));
    value.catch(() => this.deploymentsCache.delete(repo));
    this.deploymentsCache.set(repo, { at: Date.now(), value });
    return value;
  }

  async environments(repo: string): Promise<Environment[]> {
    const { environments, deployments } = await this.deployments(repo);
    const names = [...new Set([...environments, ...deployments.map((d) => d.environment)])].sort();
    // What runs is the latest deployment whose latest status is success; inactive and failed are history.
    return names.map((name) => ({ name, deployment: deployments.find((d) => d.environment === name && d.status === 'success') ?? null }));
  }

  async history(repo: string, environment: string, limit: number): Promise<Deployment[]> {
    const { deployments } = await this.deployments(repo);
    return deployments.filter((d) => d.environment === environment && (d.status === 'success' || d.status === 'inactive')).slice(0, limit).map((d) => ({ ...d, status: 'success' as const }));
  }

  /** Pull requests and reviews of many commits: one GraphQL query per hundred commits not cached. */
  async lineage(repo: string, commits: string[]): Promise<Map<string, CommitLineage>> {
    const result = new Map<string, CommitLineage>();
    const missing: string[] = [];
    for (const sha of new Set(commits.map((c) => c.toLowerCase()))) {
      const hit = this.lineageCache.get(`${repo}@${sha}`);
      if (hit && Date.now() - hit.at < ttlMs * 5) result.set(sha, hit.value);
      else missing.push(sha);
    }
    const { deployments } = missing.length ? await this.deployments(repo) : { deployments: [] as Deployment[] };
    for (let i = 0; i < missing.length; i += commitsPerQuery) {
      const batch = missing.slice(i, i + commitsPerQuery);
      const fields = batch.map((sha, k) => `c${k}: object(oid: "${sha}") { ... on Commit { associatedPullRequests(first: 5) { nodes { number title url state author { login } headRefOid headRefName baseRefName mergeCommit { oid } mergedAt updatedAt reviews(first: 100) { nodes { databaseId author { login } state commit { oid } submittedAt } } } } } }`);
      const query = `query LineageCommits($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { ${fields.join(' ')} } }`;
      const answer = await this.client.graphql(query, this.split(repo), z.object({ repository: z.record(z.string(), CommitAnswer) }));
      batch.forEach((sha, k) => {
        const prs = answer.repository[`c${k}`]?.associatedPullRequests.nodes ?? [];
        const lineage: CommitLineage = {
          sha,
          commit: null,
          pullRequests: prs.map((p) => toPullRequest(repo, p)),
          builds: [],
          artifacts: [],
          attestations: [],
          deployments: deployments.filter((d) => d.commit === sha),
        };
        this.lineageCache.set(`${repo}@${sha}`, { at: Date.now(), value: lineage });
        result.set(sha, lineage);
      });
    }
    return result;
  }

  /**
   * The commit an artifact was built from, by its GitHub artifact attestations
   * (`/repos/{owner}/{repo}/attestations/{digest}`): the SLSA provenance in each Sigstore bundle
   * names the source commit. Bundles only offered at a `bundle_url` (another host) are not fetched.
   */
  async artifactCommit(repo: string, digest: string): Promise<string | null> {
    const { owner, name } = this.split(repo);
    const answer = await this.client.get('/repos/{owner}/{repo}/attestations/{subject_digest}', { owner, repo: name, subject_digest: digest, per_page: 30 }, Attestations);
    for (const a of answer.attestations) {
      if (!a.bundle) continue;
      try {
        const raw = JSON.stringify(a.bundle);
        const event = normalizeInToto(JSON.parse(raw), raw);
        for (const f of event.facts) {
          if (f.table === 'attestations' && f.row.subject_digest === digest && f.row.commit_sha) return f.row.commit_sha;
        }
      } catch {
        // A bundle this reader does not understand is skipped, not fatal.
      }
    }
    return null;
  }

  /** The check runs of one commit (what `check` needs for its blocking-check rule). */
  async builds(repo: string, commit: string): Promise<Build[]> {
    const { owner, name } = this.split(repo);
    const answer = await this.client.get('/repos/{owner}/{repo}/commits/{ref}/check-runs', { owner, repo: name, ref: commit, per_page: 100 }, CheckRuns);
    return answer.check_runs.map((r) => ({
      id: `github-check-run:${r.id}`,
      repo,
      kind: 'check',
      name: r.name,
      commit: r.head_sha,
      status: r.status === 'completed' ? 'completed' : r.status === 'in_progress' ? 'in_progress' : 'queued',
      conclusion: r.conclusion ?? null,
      url: r.html_url ?? null,
      startedAt: r.started_at ?? null,
      finishedAt: r.completed_at ?? null,
      eventKey: `github:check_run:${r.id}`,
    }));
  }

  /** Open code-scanning alerts whose most recent instance is in `path`. */
  async findings(repo: string, path: string): Promise<Finding[]> {
    let hit = this.alertsCache.get(repo);
    if (!hit || Date.now() - hit.at >= ttlMs) {
      const { owner, name } = this.split(repo);
      const value = this.client.list('/repos/{owner}/{repo}/code-scanning/alerts', { owner, repo: name, state: 'open' }, CodeScanningAlert, 1000).then((alerts) => alerts.map((a) => alertFinding(repo, a)));
      value.catch(() => this.alertsCache.delete(repo));
      hit = { at: Date.now(), value };
      this.alertsCache.set(repo, hit);
    }
    return (await hit.value).filter((f) => f.locations.some((l) => l.path === path));
  }
}

function toDeployment(repo: string, d: z.infer<typeof GqlDeployment>): Deployment {
  const status = deploymentStatus(d.latestStatus?.state);
  return {
    id: String(d.databaseId ?? `${d.environment}-${d.createdAt}`),
    repo,
    environment: d.environment!,
    service: null,
    commit: d.commitOid,
    artifact: null,
    at: d.createdAt,
    actor: d.creator?.login ?? null,
    kind: deploymentKind(d.task),
    status,
    reason: null,
    url: d.latestStatus?.environmentUrl ?? null,
    approvals: [],
    eventKey: `github:deployment:${d.databaseId ?? ''}`,
  };
}

function toPullRequest(repo: string, p: z.infer<typeof GqlPullRequest>): PullRequest & { reviews: Review[] } {
  return {
    repo,
    number: p.number,
    title: p.title,
    url: p.url,
    author: p.author?.login ?? null,
    state: p.state === 'MERGED' ? 'merged' : p.state === 'CLOSED' ? 'closed' : 'open',
    headSha: p.headRefOid,
    headRef: p.headRefName,
    baseRef: p.baseRefName,
    mergeCommit: p.mergeCommit?.oid ?? null,
    mergedAt: p.mergedAt,
    updatedAt: p.updatedAt,
    commits: [p.headRefOid, p.mergeCommit?.oid].filter((c): c is string => !!c),
    eventKey: `github:pull_request:${p.number}`,
    reviews: p.reviews.nodes.map((r) => ({
      id: String(r.databaseId ?? ''),
      pullRequest: p.number,
      reviewer: r.author?.login ?? 'ghost',
      state: reviewState(r.state) ?? 'commented',
      commit: r.commit?.oid ?? null,
      at: r.submittedAt,
      eventKey: `github:review:${r.databaseId ?? ''}`,
    })),
  };
}
