/**
 * The world of the GitHub run of the extension-host suite: a real git repository whose origin is
 * on a local server that answers like GitHub (deployments, a pull request with reviews, a
 * code-scanning alert), and no service. The editor reaches it only through a signed-in session.
 */
import { join } from 'node:path';
import { FakeGitHub } from '../helpers/githubServer';
import { TestRepo } from '../helpers/gitRepo';

export interface GitHubFixtureInfo {
  repoDir: string;
  githubUrl: string;
  file: string;
  utilFile: string;
  commits: Record<string, string>;
}

export const githubToken = 'editor-session-token';

const L = (n: number) => `export const value${n} = ${n * 13}; // line ${n}`;

export async function createGitHubFixture(): Promise<{ info: GitHubFixtureInfo; github: FakeGitHub; close(): Promise<void> }> {
  const repo = TestRepo.init('acme/app');
  const commits: Record<string, string> = {};
  repo.write('src/app.js', [L(1), L(2), L(3), L(4)]);
  commits.first = repo.commit('Initial service');
  repo.git(['checkout', '-q', '-b', 'feature']);
  repo.write('src/app.js', [L(1), L(2), `${L(3)} // hardened`, L(4), L(5)]);
  commits.change = repo.commit('Harden line 3');
  repo.git(['checkout', '-q', 'main']);
  repo.git(['merge', '-q', '--no-ff', '-m', 'Merge pull request #7 from acme/feature', 'feature']);
  commits.merge = repo.head();
  // The branch under review, checked out: approved after its first commit, changed again after that.
  repo.git(['checkout', '-q', '-b', 'review']);
  repo.write('src/util.js', ['export const one = 1;', 'export const two = 2;', 'export const three = 3;']);
  commits.util = repo.commit('feat: util (PAY-7)');
  repo.write('src/util.js', ['export const one = 1;', 'export const two = 22;', 'export const three = 3;']);
  commits.utilChange = repo.commit('fix: two (PAY-7)');
  const github = await new FakeGitHub({
    owner: 'acme',
    name: 'app',
    token: githubToken,
    environments: ['production', 'staging'],
    deployments: [
      {
        id: 11,
        environment: 'production',
        sha: commits.first,
        createdAt: '2026-03-11T10:00:00Z',
        creator: 'release-bot',
        state: 'success',
      },
      { id: 12, environment: 'staging', sha: commits.merge, createdAt: '2026-03-12T10:00:00Z', creator: 'ci-bot', state: 'success' },
    ],
    pulls: [
      {
        number: 7,
        title: 'Harden line 3',
        author: 'bob',
        state: 'MERGED',
        headSha: commits.change,
        headRef: 'feature',
        mergeCommit: commits.merge,
        mergedAt: '2026-03-10T12:00:00Z',
        commits: [commits.change],
        reviews: [
          { id: 1, user: 'alice', state: 'APPROVED', commit: commits.first, submittedAt: '2026-03-10T11:00:00Z' },
          { id: 2, user: 'carol', state: 'APPROVED', commit: commits.change, submittedAt: '2026-03-10T11:30:00Z' },
        ],
      },
      {
        number: 8,
        title: 'Util',
        author: 'erin',
        state: 'OPEN',
        headSha: commits.utilChange,
        headRef: 'review',
        mergeCommit: null,
        mergedAt: null,
        commits: [commits.util, commits.utilChange],
        reviews: [{ id: 3, user: 'dave', state: 'APPROVED', commit: commits.util, submittedAt: '2026-03-13T10:00:00Z' }],
      },
    ],
    alerts: [
      {
        number: 5,
        path: 'src/app.js',
        line: 4,
        commit: commits.merge,
        rule: 'js/unsafe-deserialization',
        severity: 'error',
        description: 'Unsafe deserialization on line 4',
      },
    ],
  }).start();
  // The origin is on the host the API is served from, as with GitHub Enterprise Server.
  repo.git(['remote', 'set-url', 'origin', `${github.url}/acme/app.git`]);
  const info: GitHubFixtureInfo = {
    repoDir: repo.dir,
    githubUrl: github.url,
    file: join(repo.dir, 'src/app.js'),
    utilFile: join(repo.dir, 'src/util.js'),
    commits,
  };
  return {
    info,
    github,
    async close() {
      await github.close();
      repo.dispose();
    },
  };
}

/** The GitHub run's settings: no service; the Enterprise provider signs in to the same server. */
export function githubSettings(githubUrl: string): Record<string, unknown> {
  return { 'lineage.github.url': githubUrl, 'github-enterprise.uri': githubUrl, 'lineage.environments.order': ['staging', 'production'] };
}
