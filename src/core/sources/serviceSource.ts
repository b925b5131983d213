import type { CommitLineage } from '../model/api';
import type { ApiClient } from './apiClient';
import { ApiError } from './apiError';
import type { ArtifactPlacement, LineageSource, SourceNotice } from './lineageSource';

/** The traceability service as a lineage source: one request per question, batched per file. */
export class ServiceSource implements LineageSource {
  readonly kind = 'service' as const;

  /**
   * One request per digest answers both what built an artifact and where it runs; kept a few
   * seconds only, since new deployments of it may arrive at any time.
   */
  private readonly artifacts = new Map<string, { at: number; answer: ReturnType<ApiClient['artifact']> }>();

  constructor(private readonly client: ApiClient) {}

  private artifact(digest: string): ReturnType<ApiClient['artifact']> {
    const now = Date.now();
    const hit = this.artifacts.get(digest);
    if (hit && now - hit.at < 10_000) return hit.answer;
    const answer = this.client.artifact(digest);
    answer.catch(() => this.artifacts.delete(digest));
    this.artifacts.delete(digest);
    this.artifacts.set(digest, { at: now, answer });
    if (this.artifacts.size > 64) this.artifacts.delete(this.artifacts.keys().next().value!);
    return answer;
  }

  async attestations(_repo: string, digest: string) {
    return (await this.artifact(digest)).attestations;
  }

  /** Its build's commit, else its provenance's, else the commit its deployments name. */
  async artifactCommit(_repo: string, digest: string): Promise<string | null> {
    const a = await this.artifact(digest);
    return a.artifact?.commit ?? a.attestations.find((x) => x.commit)?.commit ?? a.deployments.find((d) => d.commit)?.commit ?? null;
  }

  /**
   * The newest deployment of the artifact in each environment, live only while it is what runs
   * there: the environment's latest successful deployment (a rollback included) is this one, or
   * runs the same digest.
   */
  async artifactPlacements(repo: string, digest: string): Promise<ArtifactPlacement[]> {
    const a = await this.artifact(digest);
    const latest = new Map<string, (typeof a.deployments)[number]>();
    for (const d of [...a.deployments].sort((x, y) => y.at.localeCompare(x.at))) {
      const key = `${d.repo ?? repo}\u0000${d.environment}`;
      if (!latest.has(key)) latest.set(key, d);
    }
    const current = new Map<string, { id: string; artifact: string | null } | null>();
    for (const r of new Set([...latest.values()].map((d) => d.repo ?? repo).filter(Boolean))) {
      for (const e of (await this.client.environments(r)).environments) current.set(`${r}\u0000${e.name}`, e.deployment);
    }
    return [...latest.entries()].map(([key, d]) => {
      const now = current.get(key);
      return {
        environment: d.environment,
        physicalEnvironment: null,
        cluster: null,
        deploymentName: d.service,
        since: d.at,
        live: d.status === 'success' && !!now && (now.id === d.id || now.artifact === digest),
        runtimeRisks: [],
      };
    });
  }

  private skew: string[] = [];

  async environments(repo: string) {
    const answer = await this.client.environments(repo);
    this.skew = answer.notices ?? [];
    return answer.environments;
  }

  /** Clock skew the deploy tools' order revealed in the environments last read. */
  notices(): SourceNotice[] {
    return this.skew.map((message) => ({ about: 'deployments' as const, message }));
  }

  async history(repo: string, environment: string, limit: number) {
    return (await this.client.deployments(repo, environment, { limit })).deployments;
  }

  async lineage(repo: string, commits: string[]): Promise<Map<string, CommitLineage>> {
    if (commits.length === 0) return new Map();
    const response = await this.client.lineage(repo, commits);
    return new Map(response.commits.map((c) => [c.sha, c]));
  }

  async findings(repo: string, path: string) {
    return (await this.client.findings(repo, { path, status: 'open' })).findings;
  }

  async deployment(_repo: string, _environment: string, id: string) {
    try {
      return await this.client.deployment(id);
    } catch (e) {
      if (ApiError.is(e, 'notFound')) return null;
      throw e;
    }
  }

  async finding(_repo: string, id: string) {
    try {
      return await this.client.finding(id);
    } catch (e) {
      if (ApiError.is(e, 'notFound')) return null;
      throw e;
    }
  }

  async openFindings(repo: string) {
    return (await this.client.findings(repo, { status: 'open', limit: 500 })).findings;
  }
}
