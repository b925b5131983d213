/**
 * The world the extension-host suite runs in: a real git repository and the real service on the
 * embedded store, fed with pull requests, reviews, deployments and a finding. Shared by the
 * code-server runner and the @vscode/test-electron runner.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { plantCanaries } from '../helpers/canaries';
import { TestRepo } from '../helpers/gitRepo';
import { startTestService, type TestService } from '../helpers/testService';

/** What the suite inside the extension host is told (through LINEAGE_VSCODE_FIXTURE). */
export interface FixtureInfo {
  repoDir: string;
  serviceUrl: string;
  file: string;
  utilFile: string;
  commits: Record<string, string>;
  hostileSummary: string;
  /** Written by any program planted in the repository's configuration that runs. */
  canaryMarker: string;
}

export const hostileSummary = 'Fix <img src=x onerror=alert(1)> [run](command:workbench.action.terminal.new) **bold** `tick`';

const L = (n: number) => `export const value${n} = ${n * 11}; // line ${n}`;

export async function createFixture(): Promise<{ info: FixtureInfo; service: TestService; repo: TestRepo; close(): Promise<void> }> {
  const service = await startTestService('embedded');
  const repo = TestRepo.init('acme/app');
  const commits: Record<string, string> = {};
  repo.write('src/app.js', [L(1), L(2), L(3), L(4), L(5)]);
  commits.first = repo.commit('Initial service');
  repo.git(['checkout', '-q', '-b', 'feature']);
  repo.write('src/app.js', [L(1), L(2), `${L(3)} // hardened`, L(4), L(5), L(6)]);
  commits.change = repo.commit(hostileSummary);
  repo.git(['checkout', '-q', 'main']);
  repo.git(['merge', '-q', '--no-ff', '-m', 'Merge pull request #7 from acme/feature', 'feature']);
  commits.merge = repo.head();
  repo.write('README.md', ['# app']);
  commits.readme = repo.commit('Add a readme');
  // The branch under review: approved after its first commit, changed again after that.
  repo.git(['checkout', '-q', '-b', 'review']);
  // The branch switches its own gate off; the base's (default) policy must still judge it.
  repo.write('.lineage/policy.yaml', [
    'rules:',
    '  stale-approval: { severity: off }',
    '  unapproved-commits: { severity: off }',
    '  policy-changed-in-branch: { severity: off }',
  ]);
  commits.policy = repo.commit('chore: relax the gate (PAY-7)');
  repo.write('src/util.js', ['export const one = 1;', 'export const two = 2;', 'export const three = 3;']);
  commits.util = repo.commit('feat: util (PAY-7)');
  repo.write('src/util.js', ['export const one = 1;', 'export const two = 22;', 'export const three = 3;']);
  commits.utilChange = repo.commit('fix: two (PAY-7)');

  const at = (day: number) => new Date(Date.parse('2026-03-10T10:00:00Z') + day * 86_400_000).toISOString();
  const events = [
    {
      type: 'pull_request',
      id: 'pr7',
      repo: 'acme/app',
      number: 7,
      title: 'Harden <script>alert(1)</script> line 3',
      author: 'bob',
      state: 'merged',
      url: 'https://github.com/acme/app/pull/7',
      headSha: commits.change,
      mergeCommit: commits.merge,
      mergedAt: at(0),
      commits: [commits.change],
    },
    {
      type: 'review',
      id: 'rv1',
      repo: 'acme/app',
      reviewId: 'rv1',
      pullRequest: 7,
      reviewer: 'alice',
      state: 'approved',
      commit: commits.first,
      at: at(0),
    },
    {
      type: 'review',
      id: 'rv2',
      repo: 'acme/app',
      reviewId: 'rv2',
      pullRequest: 7,
      reviewer: 'carol',
      state: 'approved',
      commit: commits.change,
      at: at(0),
    },
    {
      type: 'deployment',
      id: 'dep-prod-1',
      repo: 'acme/app',
      deploymentId: 'dep-prod-1',
      environment: 'production',
      commit: commits.first,
      at: at(1),
      actor: 'release-bot',
      artifact: `sha256:${'ab'.repeat(32)}`,
    },
    {
      type: 'deployment',
      id: 'dep-stg-1',
      repo: 'acme/app',
      deploymentId: 'dep-stg-1',
      environment: 'staging',
      commit: commits.merge,
      at: at(2),
      actor: 'ci-bot',
      artifact: `sha256:${'cd'.repeat(32)}`,
    },
    {
      type: 'finding',
      id: 'f1',
      repo: 'acme/app',
      findingId: 'err-1',
      kind: 'error',
      severity: 'high',
      title: "TypeError: Cannot read properties of undefined (reading 'id')",
      environment: 'staging',
      commit: commits.merge,
      url: 'https://errors.example.com/issues/1',
      locations: [
        { path: 'src/app.js', line: 3, revision: commits.merge },
        { path: 'src/app.js', line: 6, revision: commits.merge },
      ],
    },
  ];
  events.push(
    {
      type: 'pull_request',
      id: 'pr8',
      repo: 'acme/app',
      number: 8,
      title: 'Util',
      author: 'erin',
      state: 'open',
      url: 'https://github.com/acme/app/pull/8',
      headSha: commits.utilChange,
      headRef: 'review',
      commits: [commits.policy, commits.util, commits.utilChange],
    } as never,
    {
      type: 'review',
      id: 'rv8',
      repo: 'acme/app',
      reviewId: 'rv8',
      pullRequest: 8,
      reviewer: 'dave',
      state: 'approved',
      commit: commits.util,
      at: at(3),
    },
  );
  await service.client.ingest('events', JSON.stringify(events));
  // Every program the repository's configuration can name, planted for every editor feature to
  // pass by. The filter driver applies to the readme only, since a filtered file is not blamed
  // while its buffer differs from what git stores (the dirty-buffer test edits app.js).
  const canaries = plantCanaries(repo, '* diff=canary merge=canary\n*.md filter=canary');
  const info: FixtureInfo = {
    repoDir: repo.dir,
    serviceUrl: service.url,
    file: join(repo.dir, 'src/app.js'),
    utilFile: join(repo.dir, 'src/util.js'),
    commits,
    hostileSummary,
    canaryMarker: canaries.marker,
  };
  return {
    info,
    service,
    repo,
    async close() {
      await service.close();
      repo.dispose();
      rmSync(canaries.dir, { recursive: true, force: true });
    },
  };
}

/**
 * User settings for a quiet workbench, with the run's own settings on top. In a remote window
 * (code-server's) machine-overridable settings, where the service and GitHub are, apply from the
 * Machine settings of the host the extension runs on; a local window reads them from User.
 */
export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>, window: 'local' | 'remote'): void {
  const quiet = {
    'workbench.startupEditor': 'none',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.tips.enabled': false,
    'git.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'github.copilot.enable': { '*': false },
    'extensions.autoCheckUpdates': false,
  };
  const machineKeys = window === 'remote' ? ['lineage.api.url', 'lineage.github.url'] : [];
  const user = Object.fromEntries(Object.entries({ ...quiet, ...settings }).filter(([k]) => !machineKeys.includes(k)));
  const machine = Object.fromEntries(Object.entries(settings).filter(([k]) => machineKeys.includes(k)));
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(user, null, 2));
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(machine, null, 2));
}

/** The service run's settings: the fixture's service and its promotion order. */
export function serviceSettings(serviceUrl: string): Record<string, unknown> {
  return { 'lineage.api.url': serviceUrl, 'lineage.environments.order': ['dev', 'staging', 'production'] };
}
