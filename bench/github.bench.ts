/**
 * `npm run bench:github`: requests made and time for the lineage of a 2,000-line file whose lines
 * come from about 500 commits, with GitHub as the source (a local server that answers like
 * GitHub: test/helpers/githubServer.ts), cold and warm. Goal: cold at most 8 requests, warm 0.
 * A second run gives every deployment an artifact digest in its payload and the organisation
 * deployment records of them, which cost one request per artifact deployed (at most ten) on top.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repository } from '../src/core/git/repository';
import { fileLineage } from '../src/core/lineage/fileLineage';
import { GitHubClient } from '../src/core/sources/github/githubClient';
import { GitHubSource } from '../src/core/sources/github/githubSource';
import { FakeGitHub } from '../test/helpers/githubServer';
import { generateRepository } from './generatedRepo';

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'lineage-github-bench-'));
  const path = 'src/big.js';
  try {
    const shas = generateRepository(join(scratch, 'repo'), { commits: 560, lines: 2000, path });
    const envs = ['dev', 'staging', 'production'];
    const deployments = envs.flatMap((environment, e) =>
      Array.from({ length: 20 }, (_, i) => ({
        id: e * 100 + i + 1,
        environment,
        sha: shas[shas.length - 1 - e * 15 - (19 - i) * 5]!,
        createdAt: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 86_400_000).toISOString(),
        creator: 'ci-bot',
        state: 'success' as const,
      })),
    );
    const pulls = shas.slice(1).map((sha, i) => ({
      number: i + 1,
      title: `change ${i + 1}`,
      author: `dev${i % 7}`,
      state: 'MERGED' as const,
      headSha: sha,
      headRef: `topic-${i}`,
      mergeCommit: null,
      mergedAt: '2026-01-01T00:00:00Z',
      commits: [sha],
      reviews: [{ id: i + 1, user: 'reviewer', state: 'APPROVED' as const, commit: sha, submittedAt: '2026-01-01T00:00:00Z' }],
    }));
    const run = async (label: string, withArtifacts: boolean) => {
      const digest = (id: number) => `sha256:${id.toString(16).padStart(64, '0')}`;
      const gh = await new FakeGitHub({
        owner: 'acme',
        name: 'bench',
        token: 'bench-token',
        environments: envs,
        deployments: withArtifacts ? deployments.map((d) => ({ ...d, digest: digest(d.id) })) : deployments,
        pulls,
        alerts: [],
        ...(withArtifacts
          ? {
              records: deployments.map((d) => ({
                id: d.id,
                digest: digest(d.id),
                environment: `${d.environment}-eu`,
                cluster: 'k8s-eu-1',
                updatedAt: d.createdAt,
              })),
            }
          : {}),
      }).start();
      const repo = await Repository.open(join(scratch, 'repo'));
      const source = new GitHubSource(new GitHubClient({ baseUrl: gh.url, token: 'bench-token' }));
      let t = performance.now();
      const cold = await fileLineage({ repo, path, slug: 'acme/bench', source });
      const coldMs = performance.now() - t;
      const coldRequests = gh.count();
      const commits = new Set(cold.lines.map((l) => l.commit?.sha)).size;
      t = performance.now();
      await fileLineage({ repo: await Repository.open(join(scratch, 'repo')), path, slug: 'acme/bench', source });
      const warmMs = performance.now() - t;
      const warmRequests = gh.count() - coldRequests;
      await gh.close();
      const what = [
        ...new Set(
          gh.requests.slice(0, coldRequests).map((r) =>
            decodeURIComponent(r.path)
              .replace('/repos/acme/bench', '')
              .replace(/sha256:[0-9a-f]{64}/, '{digest}'),
          ),
        ),
      ];
      console.log(`${label}: file of ${cold.lines.length} lines from ${commits} commits; ${cold.environments.length} environments`);
      console.log(`  cold: ${coldRequests} requests (${what.join(', ')}), ${coldMs.toFixed(0)} ms`);
      console.log(`  warm: ${warmRequests} requests, ${warmMs.toFixed(0)} ms   (goal 0 requests)`);
    };
    await run('deployments, pull requests, reviews (goal: cold <= 8 requests)', false);
    await run('with artifact digests and deployment records (one records request per artifact deployed, at most ten)', true);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
