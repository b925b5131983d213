/**
 * The world of the GitLab run of the extension-host suite: a real git repository whose origin is a
 * project in a nested group on a local server that answers like a self-managed GitLab under a path
 * prefix (deployments, a merge request with approvals, a vulnerability), and no service. The editor
 * reaches it only after the user stores a token with "Code Lineage: Set GitLab Token".
 */
import { join } from 'node:path';
import { FakeGitLab } from '../helpers/gitlabServer';
import { TestRepo } from '../helpers/gitRepo';

export interface GitLabFixtureInfo {
  repoDir: string;
  gitlabUrl: string;
  project: string;
  file: string;
  commits: Record<string, string>;
}

export const gitlabToken = 'glpat-editor-token';
const project = 'acme/payments/app';

const L = (n: number) => `export const value${n} = ${n * 13}; // line ${n}`;

export async function createGitLabFixture(): Promise<{ info: GitLabFixtureInfo; gitlab: FakeGitLab; close(): Promise<void> }> {
  const repo = TestRepo.init('acme/app');
  const commits: Record<string, string> = {};
  repo.write('src/app.js', [L(1), L(2), L(3), L(4)]);
  commits.first = repo.commit('Initial service');
  repo.git(['checkout', '-q', '-b', 'feature']);
  repo.write('src/app.js', [L(1), L(2), `${L(3)} // hardened`, L(4), L(5)]);
  commits.change = repo.commit('Harden line 3');
  repo.git(['checkout', '-q', 'main']);
  repo.git(['merge', '-q', '--no-ff', '-m', "Merge branch 'feature' into 'main'", 'feature']);
  commits.merge = repo.head();
  const gitlab = await new FakeGitLab(
    {
      project,
      token: gitlabToken,
      environments: ['production', 'staging'],
      deployments: [
        { id: 11, environment: 'production', sha: commits.first, at: '2026-03-11T10:00:00Z', user: 'release-bot', status: 'success' },
        { id: 12, environment: 'staging', sha: commits.merge, at: '2026-03-12T10:00:00Z', user: 'ci-bot', status: 'success' },
      ],
      mergeRequests: [
        {
          iid: 7,
          title: 'Harden line 3',
          author: 'bob',
          state: 'merged',
          sourceBranch: 'feature',
          sha: commits.change,
          mergeCommit: commits.merge,
          mergedAt: '2026-03-10T12:00:00Z',
          updatedAt: '2026-03-10T12:00:00Z',
          commits: [commits.change, commits.merge],
          versions: [
            { id: 1, head: commits.first, at: '2026-03-10T10:00:00Z' },
            { id: 2, head: commits.change, at: '2026-03-10T11:15:00Z' },
          ],
          notes: [
            { id: 1, author: 'alice', body: 'approved this merge request', at: '2026-03-10T11:00:00Z', system: true },
            { id: 2, author: 'carol', body: 'approved this merge request', at: '2026-03-10T11:30:00Z', system: true },
          ],
        },
      ],
      vulnerabilities: [
        {
          id: 5,
          title: 'Unsafe deserialization on line 4',
          severity: 'HIGH',
          file: 'src/app.js',
          line: 4,
          commit: commits.merge,
          scanner: 'Semgrep',
        },
      ],
    },
    '/gitlab',
  ).start();
  repo.git(['remote', 'set-url', 'origin', `${gitlab.instance}/${project}.git`]);
  return {
    info: { repoDir: repo.dir, gitlabUrl: gitlab.instance, project, file: join(repo.dir, 'src/app.js'), commits },
    gitlab,
    async close() {
      await gitlab.close();
      repo.dispose();
    },
  };
}

/** The GitLab run's settings: no service, the self-managed instance. */
export function gitlabSettings(gitlabUrl: string): Record<string, unknown> {
  return { 'lineage.gitlab.url': gitlabUrl, 'lineage.environments.order': ['staging', 'production'] };
}
