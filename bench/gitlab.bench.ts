/**
 * `npm run bench:gitlab`: requests made and time for the lineage of a 2,000-line file whose lines
 * come from about 500 commits, with GitLab as the source (a local server that answers like GitLab:
 * test/helpers/gitlabServer.ts), cold and warm, beside the same file with GitHub as the source
 * (test/helpers/githubServer.ts) in the same run. Goal: warm 0 requests; cold as few as GitHub's.
 * GitLab has no batch for the merge requests of a commit (REST, one request per commit, eight at a
 * time) nor for a merge request's approvals (its notes and diff versions), so cold costs one request
 * per blamed commit and two per merge request: the figure says how far from GitHub's that is.
 *
 *   --repo DIR:PATH   also a real repository's history (repeatable): every merge on its first-parent
 *                     line is a merge request (head = the merge's second parent, with the branch's
 *                     commits), every first-parent commit whose subject ends in "(#N)" a squashed
 *                     one, each approved once; PATH is blamed with GitLab and with GitHub as the
 *                     source, cold and warm.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repository } from '../src/core/git/repository';
import { fileLineage } from '../src/core/lineage/fileLineage';
import { GitHubClient } from '../src/core/sources/github/githubClient';
import { GitHubSource } from '../src/core/sources/github/githubSource';
import { GitLabClient } from '../src/core/sources/gitlab/gitlabClient';
import { GitLabSource } from '../src/core/sources/gitlab/gitlabSource';
import type { LineageSource } from '../src/core/sources/lineageSource';
import { FakeGitHub } from '../test/helpers/githubServer';
import { FakeGitLab } from '../test/helpers/gitlabServer';
import { generateRepository } from './generatedRepo';

const { values } = parseArgs({ options: { repo: { type: 'string', multiple: true } } });

/** Merge requests as a GitLab project would hold them for this history (see the header). */
function mergeRequestsOf(dir: string): { iid: number; head: string; merge: string | null; squash: string | null; commits: string[] }[] {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 }).trim();
  const out: { iid: number; head: string; merge: string | null; squash: string | null; commits: string[] }[] = [];
  let iid = 0;
  for (const line of git('log', '--first-parent', '--format=%H %P%x09%s', 'HEAD').split('\n')) {
    const [ids, subject = ''] = line.split('\t');
    const [sha, first, second] = ids!.split(' ');
    if (second) {
      const branch = git('rev-list', `${first}..${second}`).split('\n').filter(Boolean);
      out.push({ iid: ++iid, head: second, merge: sha!, squash: null, commits: [...branch, sha!] });
    } else if (/\(#\d+\)$/.test(subject)) {
      out.push({ iid: ++iid, head: sha!.split('').reverse().join(''), merge: null, squash: sha!, commits: [sha!] });
    }
  }
  return out;
}

async function realHistory(spec: string): Promise<void> {
  const [dir, path] = [spec.slice(0, spec.lastIndexOf(':')), spec.slice(spec.lastIndexOf(':') + 1)];
  const mrs = mergeRequestsOf(dir);
  const gl = await new FakeGitLab({
    project: 'real/history',
    token: 'bench-token',
    environments: [],
    deployments: [],
    mergeRequests: mrs.map((m) => ({
      iid: m.iid,
      title: `change ${m.iid}`,
      author: 'dev',
      state: 'merged' as const,
      sourceBranch: `topic-${m.iid}`,
      sha: m.head,
      mergeCommit: m.merge,
      squashCommit: m.squash,
      mergedAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      commits: m.commits,
      versions: [{ id: m.iid, head: m.head, at: '2026-01-01T00:00:00Z' }],
      notes: [{ id: m.iid, author: 'reviewer', body: 'approved this merge request', at: '2026-01-01T00:01:00Z', system: true }],
    })),
  }).start();
  const gh = await new FakeGitHub({
    owner: 'real',
    name: 'history',
    token: 'bench-token',
    environments: [],
    deployments: [],
    pulls: mrs.map((m) => ({
      number: m.iid,
      title: `change ${m.iid}`,
      author: 'dev',
      state: 'MERGED' as const,
      headSha: m.head,
      headRef: `topic-${m.iid}`,
      mergeCommit: m.merge ?? m.squash,
      mergedAt: '2026-01-01T00:00:00Z',
      commits: m.commits,
      reviews: [{ id: m.iid, user: 'reviewer', state: 'APPROVED' as const, commit: m.head, submittedAt: '2026-01-01T00:00:00Z' }],
    })),
    alerts: [],
  }).start();
  try {
    const blamed = new Set(
      execFileSync('git', ['-C', dir, 'blame', '--porcelain', 'HEAD', '--', path], { encoding: 'utf8', maxBuffer: 1 << 28 })
        .split('\n')
        .filter((l) => /^[0-9a-f]{40} \d+ \d+/.test(l))
        .map((l) => l.slice(0, 40)),
    );
    const github = await measureOn(
      `GitHub, ${path}`,
      new GitHubSource(new GitHubClient({ baseUrl: gh.url, token: 'bench-token' })),
      'real/history',
      () => gh.count(),
      dir,
      path,
    );
    const client = new GitLabClient({ url: gl.instance, token: { kind: 'private', value: 'bench-token' } });
    const gitlab = await measureOn(`GitLab, ${path}`, new GitLabSource(client), 'real/history', () => gl.count(), dir, path);
    await client.close();
    const asked = gl.requests.filter((r) => r.path.includes('/repository/commits/')).length;
    // Both forges hold the same merge requests: every line must name the same ones through either.
    const differ = github.lines.filter((prs, i) => prs !== gitlab.lines[i]).length;
    console.log(
      `${dir} (${mrs.length} merge requests in its history; ${blamed.size} blamed commits): GitLab cold ${gitlab.requests} requests (${asked} commits asked about one by one), GitHub ${github.requests}: ${(gitlab.requests / github.requests).toFixed(0)}x; lines naming other merge requests than GitHub's pull requests: ${differ}`,
    );
    if (differ > 0) process.exitCode = 1;
  } finally {
    await gl.close();
    await gh.close();
  }
}

async function measureOn(
  label: string,
  source: LineageSource,
  slug: string,
  count: () => number,
  dir: string,
  path: string,
): Promise<{ requests: number; lines: string[] }> {
  let t = performance.now();
  const cold = await fileLineage({ repo: await Repository.open(dir), path, slug, source });
  const coldMs = performance.now() - t;
  const coldRequests = count();
  t = performance.now();
  await fileLineage({ repo: await Repository.open(dir), path, slug, source });
  const warmMs = performance.now() - t;
  const approved = cold.lines.filter((l) => l.approvals.length > 0).length;
  console.log(`${label}: ${cold.lines.length} lines, ${approved} with approvals`);
  console.log(
    `  cold: ${coldRequests} requests, ${coldMs.toFixed(0)} ms; warm: ${count() - coldRequests} requests, ${warmMs.toFixed(0)} ms`,
  );
  const lines = cold.lines.map(
    (l) =>
      `${l.pullRequest?.number ?? '-'} ${l.approvals
        .map((a) => a.reviewer)
        .sort()
        .join(',')}`,
  );
  return { requests: coldRequests, lines };
}

async function main(): Promise<void> {
  if (values.repo?.length) {
    for (const spec of values.repo) await realHistory(spec);
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'lineage-gitlab-bench-'));
  const path = 'src/big.js';
  try {
    const shas = generateRepository(join(scratch, 'repo'), { commits: 560, lines: 2000, path });
    const envs = ['dev', 'staging', 'production'];
    const at = (i: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + i * 86_400_000).toISOString();
    const deployed = envs.flatMap((environment, e) =>
      Array.from({ length: 20 }, (_, i) => ({
        id: e * 100 + i + 1,
        environment,
        sha: shas[shas.length - 1 - e * 15 - (19 - i) * 5]!,
        at: at(i),
      })),
    );
    const gl = await new FakeGitLab({
      project: 'acme/platform/bench',
      token: 'bench-token',
      environments: envs,
      deployments: deployed.map((d) => ({ ...d, user: 'ci-bot', status: 'success' as const })),
      mergeRequests: shas.slice(1).map((sha, i) => ({
        iid: i + 1,
        title: `change ${i + 1}`,
        author: `dev${i % 7}`,
        state: 'merged' as const,
        sourceBranch: `topic-${i}`,
        sha,
        mergeCommit: null,
        mergedAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
        commits: [sha],
        versions: [{ id: i + 1, head: sha, at: '2026-01-01T00:00:00Z' }],
        notes: [{ id: i + 1, author: 'reviewer', body: 'approved this merge request', at: '2026-01-01T00:01:00Z', system: true }],
      })),
    }).start();
    const gh = await new FakeGitHub({
      owner: 'acme',
      name: 'bench',
      token: 'bench-token',
      environments: envs,
      deployments: deployed.map((d) => ({
        id: d.id,
        environment: d.environment,
        sha: d.sha,
        createdAt: d.at,
        creator: 'ci-bot',
        state: 'success' as const,
      })),
      pulls: shas.slice(1).map((sha, i) => ({
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
      })),
      alerts: [],
    }).start();
    const measure = async (label: string, source: LineageSource, slug: string, count: () => number) => {
      const repo = await Repository.open(join(scratch, 'repo'));
      let t = performance.now();
      const cold = await fileLineage({ repo, path, slug, source });
      const coldMs = performance.now() - t;
      const coldRequests = count();
      t = performance.now();
      await fileLineage({ repo: await Repository.open(join(scratch, 'repo')), path, slug, source });
      const warmMs = performance.now() - t;
      const commits = new Set(cold.lines.map((l) => l.commit?.sha)).size;
      const approved = cold.lines.filter((l) => l.approvals.length > 0).length;
      console.log(`${label}: ${cold.lines.length} lines from ${commits} commits, ${approved} lines with approvals`);
      console.log(
        `  cold: ${coldRequests} requests, ${coldMs.toFixed(0)} ms; warm: ${count() - coldRequests} requests, ${warmMs.toFixed(0)} ms`,
      );
      return coldRequests;
    };
    const githubCold = await measure(
      'GitHub',
      new GitHubSource(new GitHubClient({ baseUrl: gh.url, token: 'bench-token' })),
      'acme/bench',
      () => gh.count(),
    );
    const gitlabClient = new GitLabClient({ url: gl.instance, token: { kind: 'private', value: 'bench-token' } });
    const gitlabCold = await measure('GitLab', new GitLabSource(gitlabClient), 'acme/platform/bench', () => gl.count());
    console.log(`GitLab cold requests / GitHub cold requests: ${(gitlabCold / githubCold).toFixed(0)}x (goal: 1x; warm goal 0)`);
    await gitlabClient.close();
    await gl.close();
    await gh.close();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
