/**
 * Deterministic synthetic event streams (native events: pull requests, reviews, builds,
 * artifacts, deployments with a rollback, approvals, findings) and a snapshot of everything the
 * query API says about them, for comparing two stores.
 */
import { createHash } from 'node:crypto';
import type { ApiClient } from '../../src/core/sources/apiClient';

const hex = (seed: string, length = 40) => {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${seed}:${i}`).digest('hex');
  return out.slice(0, length);
};

/** A native build event: the `n`th successful build of `commit`. */
export function buildEvent(repo: string, n: number, commit: string, startedAt: string, finishedAt: string | null = null): object {
  return {
    type: 'build',
    id: `${repo}-build-${n}`,
    repo,
    buildId: `${repo}-build-${n}`,
    commit,
    status: 'completed',
    conclusion: 'success',
    startedAt,
    ...(finishedAt ? { finishedAt } : {}),
  };
}

export function syntheticStream(repo: string, releases: number): object[] {
  const events: object[] = [];
  const t0 = Date.parse('2026-06-01T08:00:00Z');
  const envs = ['dev', 'staging', 'production'];
  for (let n = 1; n <= releases; n++) {
    const commit = hex(`${repo}:commit:${n}`);
    const digest = `sha256:${hex(`${repo}:image:${n}`, 64)}`;
    const at = (minutes: number) => new Date(t0 + n * 86_400_000 + minutes * 60_000).toISOString();
    events.push({
      type: 'pull_request',
      id: `${repo}-pr-${n}`,
      repo,
      number: n,
      title: `Change ${n}`,
      author: 'bob',
      state: 'merged',
      headSha: hex(`${repo}:head:${n}`),
      mergeCommit: commit,
      mergedAt: at(0),
      updatedAt: at(0),
      commits: [hex(`${repo}:head:${n}`)],
    });
    events.push({
      type: 'review',
      id: `${repo}-review-${n}`,
      repo,
      reviewId: `r${n}`,
      pullRequest: n,
      reviewer: 'alice',
      state: 'approved',
      commit: hex(`${repo}:head:${n}`),
      at: at(-30),
    });
    events.push(buildEvent(repo, n, commit, at(2), at(8)));
    events.push({
      type: 'artifact',
      id: `${repo}-artifact-${n}`,
      repo,
      digest,
      name: 'image',
      commit,
      buildId: `${repo}-build-${n}`,
      createdAt: at(8),
    });
    envs.forEach((environment, i) => {
      const deploymentId = `${repo}-${environment}-${n}`;
      events.push({
        type: 'deployment',
        id: `${repo}-deploy-${environment}-${n}`,
        repo,
        deploymentId,
        environment,
        commit,
        artifact: digest,
        at: at(20 + i * 30),
        actor: 'ci-bot',
        status: 'success',
      });
      if (environment === 'production') {
        events.push({
          type: 'approval',
          id: `${repo}-approval-${n}`,
          repo,
          approvalId: `a-${deploymentId}`,
          deploymentId,
          approver: 'carol',
          at: at(15 + i * 30),
        });
      }
    });
    events.push({
      type: 'finding',
      id: `${repo}-finding-${n}`,
      repo,
      findingId: `${repo}-f${n}`,
      kind: 'error',
      severity: 'high',
      title: `Error ${n}`,
      environment: 'production',
      commit,
      detectedAt: at(120),
      locations: [{ path: `src/file${n % 3}.js`, line: n + 1 }],
    });
  }
  // A later report resolves the first finding; a rollback of production to the first release.
  events.push({
    type: 'finding',
    id: `${repo}-finding-1-resolved`,
    repo,
    findingId: `${repo}-f1`,
    kind: 'error',
    severity: 'high',
    title: 'Error 1',
    status: 'resolved',
    environment: 'production',
    detectedAt: new Date(t0 + 40 * 86_400_000).toISOString(),
  });
  events.push({
    type: 'deployment',
    id: `${repo}-rollback`,
    repo,
    deploymentId: `${repo}-rollback`,
    environment: 'production',
    commit: hex(`${repo}:commit:1`),
    at: new Date(t0 + 41 * 86_400_000).toISOString(),
    actor: 'carol',
    kind: 'rollback',
    reason: 'bad release',
  });
  return events;
}

export async function snapshot(client: ApiClient, repo: string, commits: string[]): Promise<unknown> {
  const environments = await client.environments(repo);
  const histories = await Promise.all(environments.environments.map((e) => client.deployments(repo, e.name, { limit: 500 })));
  return {
    environments,
    histories,
    lineage: await client.lineage(repo, commits),
    findings: await client.findings(repo),
  };
}
