/**
 * `lineage check` on real repositories through the real service over HTTP: each rule blocking and
 * informational, the scenarios an approval policy must get right (amended after approval, rebased
 * or merged with an unchanged base, self-approval, unsigned commits, hotfix reasons, rollbacks,
 * rebuilt artifacts), exit codes, and a malformed policy file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ruleIds } from '../../src/core/policy/policy';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';
import { startTestService, type TestService } from '../helpers/testService';

const lineage = runLineage;

/** Commits the policy on main, the base that judges the branch, and returns to the branch. */
function writePolicy(repo: TestRepo, policy: object | string): void {
  const branch = repo.git(['symbolic-ref', '--short', 'HEAD']);
  repo.git(['checkout', '-q', 'main']);
  mkdirSync(join(repo.dir, '.lineage'), { recursive: true });
  writeFileSync(join(repo.dir, '.lineage/policy.yaml'), typeof policy === 'string' ? policy : JSON.stringify(policy, null, 2));
  repo.commit('chore: policy');
  repo.git(['checkout', '-q', branch]);
}

const allRules = (severity: string) => ({
  rules: Object.fromEntries(
    ruleIds.map((id) => [
      id,
      id === 'unsigned-commit'
        ? { severity, required: true }
        : id === 'blocking-check'
          ? { severity, required: ['ci/test'] }
          : { severity },
    ]),
  ),
});

const allRulesOff = ruleIds.map((id) => `  ${id}: { severity: off }\n`).join('');

const iso = (ms: number) => new Date(ms).toISOString();
let counter = 0;
const uid = (p: string) => `${p}-${++counter}`;

describe('lineage check', function () {
  this.timeout(120_000);
  let t: TestService;
  const repos: TestRepo[] = [];

  before(async () => {
    t = await startTestService('embedded');
  });
  after(async () => {
    await t?.close();
    for (const r of repos) r.dispose();
  });

  /** main with one commit, a feature branch with `steps`; returns the repo and commit ids. */
  function branch(slug: string, steps: { file: string; lines: string[]; message: string; env?: Record<string, string> }[]) {
    const repo = TestRepo.init(slug);
    repos.push(repo);
    repo.write('app.js', ['const a = 1;', 'const b = 2;', 'const c = 3;']);
    const base = repo.commit('feat: initial');
    repo.git(['checkout', '-q', '-b', 'feature']);
    const shas = steps.map((s) => {
      repo.write(s.file, s.lines);
      return repo.commit(s.message, s.env);
    });
    return { repo, base, shas };
  }

  const api = (repo: TestRepo, extra: string[] = []) => lineage(repo.dir, ['check', '--base', 'main', '--json', '--api', t.url, ...extra]);
  const rulesOf = (json: any) => json.violations.map((v: any) => v.rule);

  it('flags every rule as blocking, or only informs, as the policy says', async () => {
    const { repo, shas } = branch('acme/all-rules', [
      { file: 'app.js', lines: ['const a = 1;', 'const b = 20;', 'const c = 3;'], message: 'feat: raise b (PAY-12)' },
      { file: 'app.js', lines: ['const a = 1;', 'const b = 20;', 'const c = 30;'], message: 'tweak c' },
    ]);
    const [f1, f2] = shas as [string, string];
    const now = Date.now();
    await t.client.ingest(
      'events',
      JSON.stringify([
        {
          type: 'pull_request',
          id: uid('pr'),
          repo: 'acme/all-rules',
          number: 1,
          title: 'Raise b',
          author: 'bob',
          state: 'open',
          headSha: f2,
          headRef: 'feature',
          commits: [f1, f2],
        },
        {
          type: 'review',
          id: uid('rv'),
          repo: 'acme/all-rules',
          reviewId: 'r1',
          pullRequest: 1,
          reviewer: 'alice',
          state: 'approved',
          commit: f1,
          at: iso(now - 3_600_000),
        },
        {
          type: 'review',
          id: uid('rv'),
          repo: 'acme/all-rules',
          reviewId: 'r2',
          pullRequest: 1,
          reviewer: 'bob',
          state: 'approved',
          commit: f1,
          at: iso(now - 3_500_000),
        },
        {
          type: 'build',
          id: uid('b'),
          repo: 'acme/all-rules',
          buildId: 'lint-1',
          kind: 'check',
          name: 'lint',
          commit: f2,
          status: 'completed',
          conclusion: 'failure',
        },
        {
          type: 'deployment',
          id: uid('d'),
          repo: 'acme/all-rules',
          deploymentId: 'stg-1',
          environment: 'staging',
          commit: f2,
          artifact: `sha256:${'aa'.repeat(32)}`,
          at: iso(now),
          actor: 'ci',
        },
        {
          type: 'deployment',
          id: uid('d'),
          repo: 'acme/all-rules',
          deploymentId: 'prod-1',
          environment: 'production',
          commit: f2,
          artifact: `sha256:${'bb'.repeat(32)}`,
          at: iso(now + 1000),
          actor: 'carol',
          kind: 'hotfix',
        },
      ]),
    );
    await t.client.ingest(
      'attestations',
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'app', digest: { sha256: 'aa'.repeat(32) } }],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: {
          buildDefinition: {
            buildType: 'https://example.com/build',
            externalParameters: {},
            resolvedDependencies: [{ uri: 'git+https://github.com/acme/all-rules', digest: { gitCommit: f2 } }],
          },
          runDetails: {
            builder: { id: 'https://example.com/builder' },
            metadata: { invocationId: 'run-1', startedOn: '2020-01-01T00:00:00Z', finishedOn: '2020-01-01T00:05:00Z' },
          },
        },
      }),
    );

    writePolicy(repo, allRules('blocking'));
    const blocking = await api(repo);
    assert.equal(blocking.status, 1, blocking.stderr);
    // Every rule but the branch changing the policy, which this branch does not (see the next tests).
    const branchRules = ruleIds.filter((id) => id !== 'policy-changed-in-branch');
    for (const id of branchRules) assert.ok(rulesOf(blocking.json).includes(id), `${id} missing from ${rulesOf(blocking.json)}`);
    assert.ok(blocking.json.violations.every((v: any) => v.severity === 'blocking'));
    const unapproved = blocking.json.violations.find((v: any) => v.rule === 'unapproved-commits');
    assert.deepEqual(
      unapproved.evidence.commits.map((c: any) => c.sha),
      [f2],
    );
    assert.deepEqual(unapproved.evidence.commits[0].lines, ['app.js:3']);
    const stale = blocking.json.violations
      .filter((v: any) => v.rule === 'stale-approval')
      .map((v: any) => v.evidence.reviewer)
      .sort();
    assert.deepEqual(stale, ['alice', 'bob']);
    assert.ok(blocking.json.violations.find((v: any) => v.rule === 'missing-change-reference').message.includes('tweak c'));
    assert.ok(!blocking.json.violations.some((v: any) => v.rule === 'missing-change-reference' && v.evidence.commit === f1));
    const checks = blocking.json.violations
      .filter((v: any) => v.rule === 'blocking-check')
      .map((v: any) => v.evidence.check)
      .sort();
    assert.deepEqual(checks, ['ci/test', 'lint']);
    assert.ok(blocking.json.violations.find((v: any) => v.rule === 'stale-attestation' && v.evidence.attestationEventKey));

    writePolicy(repo, allRules('informational'));
    const informational = await api(repo);
    assert.equal(informational.status, 0, informational.stderr);
    for (const id of branchRules) assert.ok(rulesOf(informational.json).includes(id), `${id} missing`);
    assert.ok(informational.json.violations.every((v: any) => v.severity === 'informational'));

    const human = await lineage(repo.dir, ['check', '--base', 'main', '--api', t.url]);
    assert.equal(human.status, 0);
    assert.match(human.stdout, /pull request #1/);
    assert.match(human.stdout, /info {4} stale-approval: alice approved [0-9a-f]{7}/);
  });

  it('keeps an approval fresh across a rebase or a merge of an unchanged base, and blocks by default when amended', async () => {
    const { repo, shas } = branch('acme/rebase', [
      { file: 'app.js', lines: ['const a = 1;', 'const b = 2;', 'const c = 33;'], message: 'fix: c (PAY-1)' },
    ]);
    const approved = shas[0]!;
    // main moves on in another file; the branch merges it, then is rebased as well.
    repo.git(['checkout', '-q', 'main']);
    repo.write('other.js', ['export {};']);
    repo.commit('docs: other file');
    repo.git(['checkout', '-q', 'feature']);
    repo.git(['merge', '-q', '--no-ff', '-m', 'Merge main into feature', 'main']);
    const merged = repo.head();
    repo.git(['checkout', '-q', '-b', 'rebased', approved]);
    repo.git(['rebase', '-q', 'main']);
    const rebased = repo.head();
    await t.client.ingest(
      'events',
      JSON.stringify([
        {
          type: 'pull_request',
          id: uid('pr'),
          repo: 'acme/rebase',
          number: 2,
          author: 'bob',
          state: 'open',
          headSha: merged,
          commits: [approved, merged, rebased],
        },
        {
          type: 'review',
          id: uid('rv'),
          repo: 'acme/rebase',
          reviewId: 'r1',
          pullRequest: 2,
          reviewer: 'alice',
          state: 'approved',
          commit: approved,
        },
      ]),
    );
    for (const head of ['feature', 'rebased']) {
      const r = await api(repo, ['--head', head]);
      assert.equal(r.status, 0, `${head}: ${r.stdout}${r.stderr}`);
      assert.deepEqual(rulesOf(r.json), [], `${head}: ${rulesOf(r.json)}`);
    }
    // Now amend the change after the approval: stale and unapproved, both blocking by default.
    repo.git(['checkout', '-q', 'feature']);
    repo.write('app.js', ['const a = 1;', 'const b = 2;', 'const c = 34;']);
    const amended = repo.commit('fix: c again (PAY-1)');
    // The pull request's synchronize event brings the new head.
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'pull_request',
        id: uid('pr'),
        repo: 'acme/rebase',
        number: 2,
        author: 'bob',
        state: 'open',
        headSha: amended,
        commits: [approved, merged, amended],
        updatedAt: iso(Date.now()),
      }),
    );
    const r = await api(repo, ['--head', 'feature']);
    assert.equal(r.status, 1, r.stdout);
    assert.equal(r.json.policy, 'defaults');
    assert.deepEqual(rulesOf(r.json).sort(), ['stale-approval', 'unapproved-commits']);
  });

  it('reports self-approval, and unsigned commits only when signing is required', async () => {
    const { repo, shas } = branch('acme/self', [
      { file: 'app.js', lines: ['const a = 2;', 'const b = 2;', 'const c = 3;'], message: 'feat: a (PAY-2)' },
    ]);
    await t.client.ingest(
      'events',
      JSON.stringify([
        {
          type: 'pull_request',
          id: uid('pr'),
          repo: 'acme/self',
          number: 3,
          author: 'dana',
          state: 'open',
          headSha: shas[0],
          commits: shas,
        },
        {
          type: 'review',
          id: uid('rv'),
          repo: 'acme/self',
          reviewId: 'r1',
          pullRequest: 3,
          reviewer: 'dana',
          state: 'approved',
          commit: shas[0],
        },
      ]),
    );
    const plain = await api(repo);
    assert.equal(plain.status, 0);
    assert.deepEqual(rulesOf(plain.json), ['self-approval']);
    writePolicy(repo, 'rules:\n  self-approval: { severity: blocking }\n  unsigned-commit:\n    required: true\n    severity: blocking\n');
    const strict = await api(repo);
    assert.equal(strict.status, 1);
    assert.deepEqual(rulesOf(strict.json).sort(), ['self-approval', 'unsigned-commit']);
    assert.equal(strict.json.violations.find((v: any) => v.rule === 'unsigned-commit').evidence.signature, 'N');
  });

  it('accepts a hotfix with a reason and a rollback without approval, and flags a rebuilt digest', async () => {
    const { repo, shas } = branch('acme/deploys', [
      { file: 'app.js', lines: ['const a = 1;', 'const b = 2;', 'const c = 4;'], message: 'hotfix: c (OPS-9)' },
    ]);
    const f = shas[0]!;
    const base = { repo: 'acme/deploys', commit: f, actor: 'ops' };
    await t.client.ingest(
      'events',
      JSON.stringify([
        { type: 'pull_request', id: uid('pr'), repo: 'acme/deploys', number: 4, author: 'erin', state: 'merged', headSha: f, commits: [f] },
        {
          type: 'review',
          id: uid('rv'),
          repo: 'acme/deploys',
          reviewId: 'r1',
          pullRequest: 4,
          reviewer: 'frank',
          state: 'approved',
          commit: f,
        },
        {
          type: 'deployment',
          id: uid('d'),
          ...base,
          deploymentId: 'h1',
          environment: 'production',
          kind: 'hotfix',
          reason: 'checkout down, INC-4',
          at: iso(Date.now()),
          artifact: `sha256:${'cc'.repeat(32)}`,
        },
        {
          type: 'approval',
          id: uid('a'),
          repo: 'acme/deploys',
          approvalId: 'ap1',
          deploymentId: 'h1',
          environment: 'production',
          approver: 'grace',
        },
        {
          type: 'deployment',
          id: uid('d'),
          ...base,
          deploymentId: 'rb1',
          environment: 'production',
          kind: 'rollback',
          at: iso(Date.now() + 1000),
        },
      ]),
    );
    const r = await api(repo);
    assert.equal(r.status, 0, r.stdout);
    assert.ok(!rulesOf(r.json).includes('hotfix-without-reason'), rulesOf(r.json));
    assert.ok(!rulesOf(r.json).includes('unapproved-production-deployment'), rulesOf(r.json));
    assert.ok(!rulesOf(r.json).includes('rebuilt-artifact'));
    // The rollback a second later folds into the hotfix it undid: one record, not two deployments.
    assert.deepEqual(
      r.json.deployments.map((d: any) => [d.id, d.kind, d.rolledBack?.by ?? null]),
      [['h1', 'hotfix', 'rb1']],
    );
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'deployment',
        id: uid('d'),
        ...base,
        deploymentId: 's1',
        environment: 'staging',
        at: iso(Date.now() - 5000),
        artifact: `sha256:${'dd'.repeat(32)}`,
      }),
    );
    const rebuilt = await api(repo);
    const v = rebuilt.json.violations.find((x: any) => x.rule === 'rebuilt-artifact');
    assert.ok(v, rulesOf(rebuilt.json));
    assert.equal(v.evidence.deployed, `sha256:${'cc'.repeat(32)}`);
    assert.deepEqual(v.evidence.validated, [`sha256:${'dd'.repeat(32)}`]);
  });

  it('judges a branch by the policy committed on its base, never by its own', async () => {
    const { repo, shas } = branch('acme/own-gate', [
      { file: 'app.js', lines: ['const a = 1;', 'const b = 5;', 'const c = 3;'], message: 'fix: b' },
    ]);
    const gated = await api(repo);
    assert.equal(gated.status, 1, 'no approval: the default policy blocks');
    assert.deepEqual(rulesOf(gated.json), ['unapproved-commits']);
    assert.equal(gated.json.policy, 'defaults');
    // The branch commits a policy that switches everything off, and writes it in the working tree too.
    mkdirSync(join(repo.dir, '.lineage'), { recursive: true });
    writeFileSync(join(repo.dir, '.lineage/policy.yaml'), `rules:\n${allRulesOff}`);
    repo.commit('chore: relax the gate');
    const own = await api(repo);
    assert.equal(own.status, 1, own.stdout);
    assert.deepEqual(rulesOf(own.json), ['policy-changed-in-branch', 'unapproved-commits']);
    const notice = own.json.violations[0];
    assert.equal(notice.severity, 'blocking');
    assert.match(notice.message, /^policy changed on this branch \(\.lineage\/policy\.yaml added\): applies after merge/);
    assert.equal(own.json.policyCommit, repo.git(['rev-parse', 'main']));
    const text = await lineage(repo.dir, ['check', '--base', 'main', '--api', t.url]);
    assert.match(text.stdout, /policy: defaults at main/);
    assert.match(text.stdout, /BLOCKING policy-changed-in-branch: policy changed on this branch/);
    // Once the base itself carries the relaxed policy, it applies (and the branch no longer changes it).
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', 'Merge relax', 'feature']);
    repo.git(['checkout', '-q', '-b', 'next']);
    repo.write('app.js', ['const a = 9;']);
    repo.commit('feat: next');
    const after = await api(repo);
    assert.equal(after.status, 0, after.stdout);
    assert.deepEqual(rulesOf(after.json), []);
    assert.equal(shas.length, 1);
  });

  it('runs a policy pattern that backtracks exponentially elsewhere on a crafted message, in linear time', async () => {
    const { repo } = branch('acme/redos', [{ file: 'app.js', lines: ['x'], message: `${'a'.repeat(50_000)}!` }]);
    writePolicy(repo, "rules:\n  missing-change-reference:\n    pattern: '^(a+)+$'\n    severity: blocking\n");
    const r = await api(repo);
    assert.equal(r.status, 1, r.stderr);
    assert.ok(rulesOf(r.json).includes('missing-change-reference'));
  });

  it('puts a rollback on the deployment it undid, never on the one it restored', async () => {
    const { repo, shas } = branch('acme/rollbacks', [
      { file: 'app.js', lines: ['const a = 1;', 'const b = 2;', 'const c = 5;'], message: 'feat: c (PAY-5)' },
      { file: 'app.js', lines: ['const a = 1;', 'const b = 2;', 'const c = 6;'], message: 'feat: c again (PAY-6)' },
    ]);
    const [good, bad] = shas as [string, string];
    const deployment = (deploymentId: string, commit: string, at: string, kind = 'deploy') => ({
      type: 'deployment',
      id: uid('d'),
      repo: 'acme/rollbacks',
      deploymentId,
      environment: 'production',
      commit,
      at,
      actor: 'ops',
      kind,
    });
    await t.client.ingest(
      'events',
      JSON.stringify([
        deployment('rb-good', good, '2026-05-01T10:00:00Z'),
        deployment('rb-bad', bad, '2026-05-02T10:00:00Z'),
        deployment('rb-back', good, '2026-05-02T10:20:00Z', 'rollback'),
      ]),
    );
    // The branch at its first commit: what it deployed was restored, not rolled back.
    const restored = await api(repo, ['--head', good]);
    assert.deepEqual(
      restored.json.deployments.map((d: any) => [d.id, d.rolledBack, d.undid]),
      [
        ['rb-good', null, null],
        ['rb-back', null, 'rb-bad'],
      ],
    );
    // At its second: the bad deployment was deployed, then rolled back, as one record.
    const undone = await api(repo);
    const bad1 = undone.json.deployments.find((d: any) => d.id === 'rb-bad');
    assert.deepEqual(bad1.rolledBack, { by: 'rb-back', at: '2026-05-02T10:20:00.000Z', afterMinutes: 20 });
    assert.equal(undone.json.deployments.find((d: any) => d.id === 'rb-good').rolledBack, null);
    const text = await lineage(repo.dir, ['check', '--base', 'main', '--api', t.url]);
    assert.match(text.stdout, /deployed: production rb-bad \(deploy, [^)]+\), then rolled back by rb-back after 20 min/);
    assert.doesNotMatch(text.stdout, /rb-good[^\n]*rolled back/);
  });

  it("verifies SSH-signed commits as git does, with the user's allowed signers and never the repository's", async () => {
    const home = mkdtempSync(join(tmpdir(), 'lineage-home-'));
    try {
      const key = (name: string) => {
        execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(home, name)]);
        return readFileSync(join(home, `${name}.pub`), 'utf8').trim();
      };
      const dev = key('dev');
      const mallory = key('mallory');
      const { repo } = branch('acme/ssh-signed', []);
      writePolicy(repo, 'rules:\n  unsigned-commit: { severity: blocking, required: true }\n');
      const signed = (name: string, message: string) => {
        repo.write('app.js', [`// ${message}`]);
        repo.git(['add', '-A']);
        repo.git(['-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(home, name)}`, 'commit', '-q', '-S', '-m', message]);
      };
      signed('dev', 'feat: signed by dev (PAY-1)');
      signed('mallory', 'feat: signed by mallory (PAY-2)');
      // The user trusts dev's key; the repository claims mallory's key is trusted too.
      writeFileSync(join(home, 'allowed_signers'), `dev1@acme.example ${dev}\n`);
      writeFileSync(join(home, '.gitconfig'), `[gpg "ssh"]\n\tallowedSignersFile = ${join(home, 'allowed_signers')}\n`);
      writeFileSync(join(repo.dir, 'hostile_signers'), `dev1@acme.example ${mallory}\n`);
      repo.git(['config', 'gpg.ssh.allowedSignersFile', join(repo.dir, 'hostile_signers')]);
      const r = await lineage(repo.dir, ['check', '--base', 'main', '--json', '--source', 'git'], undefined, {
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
      });
      const unsigned = r.json.violations.filter((v: any) => v.rule === 'unsigned-commit');
      assert.deepEqual(
        unsigned.map((v: any) => v.message.replace(/^[0-9a-f]{7} /, '')),
        ['"feat: signed by mallory (PAY-2)": signed with a key not trusted here (not in the allowed signers, or an untrusted GPG key)'],
        "dev is verified by the user's allowed signers; mallory is not trusted, whatever the repository says",
      );
      // Evidence names each commit's signature as git verifies it here.
      const evidence = await lineage(repo.dir, ['evidence', 'app.js:1', '--format', 'json', '--api', t.url], undefined, {
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
      });
      assert.match(
        evidence.json.items.find((i: any) => i.kind === 'commit').summary,
        /\(signature: signed with a key not trusted here/,
        evidence.stderr,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says there is nothing to check on a branch that adds no commits, in text and JSON', async () => {
    const { repo } = branch('acme/empty-branch', []);
    const text = await lineage(repo.dir, ['check', '--api', t.url]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^nothing to check: HEAD \([0-9a-f]{7}\) has no commits that main lacks$/m);
    assert.doesNotMatch(text.stdout, /passed|0 commits/);
    const json = await api(repo);
    assert.equal(json.status, 0, json.stderr);
    assert.equal(json.json.nothingToCheck, true);
    assert.deepEqual(json.json.violations, []);
  });

  it('exits 2 naming the line and field of a malformed policy, and on a bad ref', async () => {
    const { repo } = branch('acme/bad-policy', [{ file: 'app.js', lines: ['x'], message: 'feat: x (A-1)' }]);
    writePolicy(repo, 'rules:\n  stale-approval:\n    severity: blocking\n  unsigned-commit:\n    required: maybe\n');
    const r = await api(repo);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^lineage: \.lineage\/policy\.yaml:5: rules\.unsigned-commit\.required: /);
    writePolicy(repo, 'rules:\n  stale-aproval: {}\n');
    assert.match((await api(repo)).stderr, /policy\.yaml:2: rules\.stale-aproval: unknown field/);
    writePolicy(repo, "rules:\n  missing-change-reference:\n    pattern: '(PAY)-\\d+ \\1'\n");
    const backref = await api(repo);
    assert.equal(backref.status, 2);
    assert.match(
      backref.stderr,
      /policy\.yaml:3: rules\.missing-change-reference\.pattern: not a pattern the linear-time engine \(RE2\) accepts/,
    );
    writePolicy(repo, '{}');
    const badRef = await api(repo, ['--head', 'no-such-branch']);
    assert.equal(badRef.status, 2);
    assert.match(badRef.stderr, /unknown ref "no-such-branch"/);
    const outside = await lineage('/', ['check']);
    assert.equal(outside.status, 2);
    assert.match(outside.stderr, /not a git checkout/);
  });
});

describe('lineage evidence', function () {
  this.timeout(120_000);
  let t: TestService;
  let repo: TestRepo;
  let sha: string;

  before(async () => {
    t = await startTestService('embedded');
    repo = TestRepo.init('acme/evidence');
    repo.write('app.js', ['const a = 1;', 'const b = 2;', 'const c = 3;']);
    sha = repo.commit('feat: first (PAY-1)');
    const digest = `sha256:${'ef'.repeat(32)}`;
    await t.client.ingest(
      'events',
      JSON.stringify([
        {
          type: 'pull_request',
          id: 'ev-pr',
          repo: 'acme/evidence',
          number: 9,
          title: 'First | with a pipe',
          author: 'bob',
          state: 'merged',
          headSha: sha,
          commits: [sha],
        },
        {
          type: 'review',
          id: 'ev-rv',
          repo: 'acme/evidence',
          reviewId: 'r1',
          pullRequest: 9,
          reviewer: 'alice',
          state: 'approved',
          commit: sha,
        },
        {
          type: 'build',
          id: 'ev-b',
          repo: 'acme/evidence',
          buildId: 'ci-1',
          kind: 'pipeline',
          name: 'ci',
          commit: sha,
          conclusion: 'success',
        },
        { type: 'artifact', id: 'ev-a', repo: 'acme/evidence', digest, name: 'app', commit: sha, buildId: 'ci-1' },
        {
          type: 'deployment',
          id: 'ev-d',
          repo: 'acme/evidence',
          deploymentId: 'prod-9',
          environment: 'production',
          commit: sha,
          artifact: digest,
          at: '2026-03-02T10:00:00Z',
          actor: 'ops',
        },
        {
          type: 'approval',
          id: 'ev-ap',
          repo: 'acme/evidence',
          approvalId: 'ap9',
          deploymentId: 'prod-9',
          environment: 'production',
          approver: 'grace',
        },
        {
          type: 'finding',
          id: 'ev-f',
          repo: 'acme/evidence',
          findingId: 'err-9',
          kind: 'error',
          severity: 'high',
          title: 'Boom on c',
          commit: sha,
          locations: [{ path: 'app.js', line: 3, revision: sha }],
        },
      ]),
    );
  });
  after(async () => {
    await t?.close();
    repo?.dispose();
  });

  it('gives the chain behind a line, each item tied to its audit-log entry', async () => {
    const r = await lineage(repo.dir, ['evidence', 'app.js:3', '--format', 'json', '--api', t.url]);
    assert.equal(r.status, 0, r.stderr);
    const kinds = new Set(r.json.items.map((i: any) => i.kind));
    for (const k of ['commit', 'pull_request', 'review', 'build', 'artifact', 'deployment', 'approval', 'finding'])
      assert.ok(kinds.has(k), `${k} in ${[...kinds].join(', ')}`);
    assert.equal(r.json.subject.commit, sha);
    assert.equal(r.json.audit.ok, true);
    for (const item of r.json.items.filter((i: any) => i.eventKey)) {
      const stored = await t.client.event(item.eventKey);
      assert.deepEqual(item.audit, { seq: stored.auditSeq, hash: stored.auditHash });
    }
  });

  it('follows a line merged through a pull request to the merge commit that was built and deployed, and shows the rollback and findings of a deployment', async () => {
    // A feature commit merged with a merge commit: CI built and deployed the merge, not the feature commit.
    repo.git(['checkout', '-q', '-b', 'feature']);
    repo.write('lib.js', ['export const d = 4;']);
    const feature = repo.commit('feat: lib (PAY-2)');
    repo.git(['checkout', '-q', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', 'Merge pull request #10', 'feature']);
    const merge = repo.git(['rev-parse', 'HEAD']).trim();
    const digest = `sha256:${'a1'.repeat(32)}`;
    await t.client.ingest(
      'events',
      JSON.stringify([
        {
          type: 'pull_request',
          id: 'ev2-pr',
          repo: 'acme/evidence',
          number: 10,
          title: 'Lib',
          author: 'bob',
          state: 'merged',
          headSha: feature,
          mergeCommit: merge,
          commits: [feature],
        },
        {
          type: 'build',
          id: 'ev2-b',
          repo: 'acme/evidence',
          buildId: 'ci-10',
          kind: 'pipeline',
          name: 'ci',
          commit: merge,
          conclusion: 'success',
        },
        { type: 'artifact', id: 'ev2-a', repo: 'acme/evidence', digest, name: 'app', commit: merge, buildId: 'ci-10' },
        {
          type: 'deployment',
          id: 'ev2-d',
          repo: 'acme/evidence',
          deploymentId: 'prod-10',
          environment: 'production',
          commit: merge,
          artifact: digest,
          at: '2026-03-03T10:00:00Z',
          actor: 'ops',
        },
        {
          type: 'finding',
          id: 'ev2-f',
          repo: 'acme/evidence',
          findingId: 'err-10',
          kind: 'error',
          severity: 'high',
          title: 'Boom in lib',
          environment: 'production',
          artifact: digest,
          commit: merge,
        },
        {
          type: 'deployment',
          id: 'ev2-rb',
          repo: 'acme/evidence',
          deploymentId: 'prod-11',
          environment: 'production',
          commit: sha,
          at: '2026-03-03T10:30:00Z',
          actor: 'ops',
          kind: 'rollback',
        },
      ]),
    );
    const line = await lineage(repo.dir, ['evidence', 'lib.js:1', '--format', 'json', '--api', t.url]);
    assert.equal(line.status, 0, line.stderr);
    const ids = (kind: string) => line.json.items.filter((i: any) => i.kind === kind).map((i: any) => i.id);
    assert.equal(line.json.subject.commit, feature);
    assert.deepEqual(ids('build'), ['ci-10'], 'the merge commit was built');
    assert.deepEqual(ids('artifact'), [digest]);
    assert.ok(ids('deployment').includes('prod-10'), ids('deployment').join(', '));
    assert.ok(ids('commit').includes(merge), 'the merge commit is named');
    const deployment = await lineage(repo.dir, ['evidence', '--deployment', 'prod-10', '--format', 'json', '--api', t.url]);
    assert.equal(deployment.status, 0, deployment.stderr);
    const rollback = deployment.json.items.find((i: any) => i.kind === 'deployment' && i.id === 'prod-11');
    assert.match(rollback?.summary ?? '', /rollback to production.*rolled back prod-10/);
    assert.ok(
      deployment.json.items.some((i: any) => i.kind === 'finding' && i.id === 'err-10'),
      'its finding',
    );
    const first = await lineage(repo.dir, ['evidence', '--deployment', 'prod-9', '--format', 'json', '--api', t.url]);
    assert.ok(!first.json.items.some((i: any) => i.id === 'prod-11'), 'the rollback restored prod-9, it did not undo it');
    assert.doesNotMatch(deployment.json.items.find((i: any) => i.id === 'prod-10').summary, /rebuilt/);
    await t.client.ingest(
      'events',
      JSON.stringify({
        type: 'deployment',
        id: 'ev2-stg',
        repo: 'acme/evidence',
        deploymentId: 'stg-10',
        environment: 'staging',
        commit: merge,
        artifact: `sha256:${'b2'.repeat(32)}`,
        at: '2026-03-03T09:00:00Z',
      }),
    );
    const rebuilt = await lineage(repo.dir, ['evidence', '--deployment', 'prod-10', '--format', 'json', '--api', t.url]);
    const own = rebuilt.json.items.find((i: any) => i.kind === 'deployment' && i.id === 'prod-10');
    assert.match(own.summary, /rebuilt: the same commit ran sha256:(b2)+ in staging/);
  });

  it("gives a deployment's chain as Markdown, and exits 2 for an unknown one", async () => {
    const r = await lineage(repo.dir, ['evidence', '--deployment', 'prod-9', '--api', t.url]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# Evidence: deployment prod\\-9/);
    assert.match(r.stdout, /\| Approval \| ap9 \| grace\\: approved/);
    assert.match(r.stdout, /First \\\| with a pipe/);
    assert.match(
      r.stdout,
      /Audit log verified: \d+ entries recomputed and every served row re-derived from its events, chain intact .*latest signed checkpoint #\d+/,
    );
    const text = await lineage(repo.dir, ['evidence', '--deployment', 'prod-9', '--format', 'text', '--api', t.url]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^Evidence: deployment prod-9, repository acme\/evidence\n/);
    assert.match(text.stdout, /^Approval +ap9 +grace: approved/m, 'plain text, no table and no escapes');
    assert.match(text.stdout, /^ {14}event native:\S+, audit entry #\d+ \([0-9a-f]{16}…\)$/m);
    assert.doesNotMatch(text.stdout, /\\[-.:|#]|^\|/m);
    const missing = await lineage(repo.dir, ['evidence', '--deployment', 'nope', '--api', t.url]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no deployment with id nope/);
    const noApi = await lineage(repo.dir, ['evidence', 'app.js:3']);
    assert.equal(noApi.status, 2);
    assert.match(noApi.stderr, /needs the service/);
  });
});
