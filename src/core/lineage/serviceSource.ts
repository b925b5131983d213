import type { CommitLineage } from '../model/api';
import type { ApiClient } from '../sources/apiClient';
import { ApiError } from '../sources/apiError';
import type { LineageSource } from './source';

/** The traceability service as a lineage source: one request per question, batched per file. */
export class ServiceSource implements LineageSource {
  readonly kind = 'service' as const;

  constructor(private readonly client: ApiClient) {}

  async environments(repo: string) {
    return (await this.client.environments(repo)).environments;
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
