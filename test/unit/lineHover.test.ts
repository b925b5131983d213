import assert from 'node:assert/strict';
import type { FileLineage, LineLineage } from '../../src/core/lineage/lineLineage';
import { renderLineHover } from '../../src/core/present/lineHover';

const line: LineLineage = {
  line: 3,
  text: 'const c = 3;',
  commit: { sha: 'a'.repeat(40), author: 'Dev', authorMail: 'dev@acme.example', time: '2026-03-01T10:00:00Z', summary: 'feat: c' },
  pullRequest: { number: 7, title: 'C', url: null, state: 'open', author: 'dev' },
  checks: [],
  approvals: [
    // Line-level view: alice approved before this line existed, bob after.
    { reviewer: 'alice', state: 'approved', commit: 'b'.repeat(40), stale: true, verified: true },
    { reviewer: 'bob', state: 'approved', commit: 'c'.repeat(40), stale: false, verified: true },
  ],
  environments: [],
  findings: [],
};
const file: FileLineage = { path: 'app.js', repo: 'acme/app', source: 'service', head: null, environments: [], notices: [], lines: [line] };
const options = { policy: { order: ['staging', 'production'], production: 'production' }, now: Date.parse('2026-03-02T10:00:00Z') };

describe('the hover of a line', () => {
  it("marks the branch's reviews stale or fresh by check's verdict, the one the Approvals view shows", () => {
    const text = renderLineHover(file, line, { ...options, branchReview: { pullRequest: 7, stale: new Set(['bob']) } });
    assert.match(text, /- bob: approved on `ccccccc` ⚠ \*\*stale\*\*: the change was modified after this approval/);
    assert.match(text, /- alice: approved on `bbbbbbb`$/m, "check found alice's approval fresh");
  });

  it('keeps the line-level verdict for another pull request than the branch', () => {
    const text = renderLineHover(file, line, { ...options, branchReview: { pullRequest: 8, stale: new Set(['bob']) } });
    assert.match(text, /- alice: approved on `bbbbbbb` ⚠ \*\*stale\*\*: given before this line was written/);
    assert.match(text, /- bob: approved on `ccccccc`$/m);
  });

  it('names the change reference, linked by the template, and the checks and scans that ran on the commit', () => {
    const withChecks: LineLineage = {
      ...line,
      commit: { ...line.commit!, summary: 'PAY-12 round totals' },
      checks: [
        {
          name: 'ci',
          kind: 'pipeline',
          status: 'completed',
          conclusion: 'success',
          at: '2026-03-01T10:05:00Z',
          url: 'https://ci.example/1',
        },
        { name: 'Trivy', kind: 'scan', status: 'completed', conclusion: 'success', at: '2026-03-01T10:06:00Z', url: null },
        { name: 'lint', kind: 'check', status: 'completed', conclusion: 'failure', at: null, url: null },
      ],
    };
    const text = renderLineHover(file, withChecks, {
      ...options,
      changeReference: { pattern: '[A-Z][A-Z0-9]+-\\d+|^(feat|fix):', urlTemplate: 'https://jira.example/browse/{ref}' },
    });
    assert.match(text, /\*\*Change\*\* \[PAY\\-12\]\(https:\/\/jira\.example\/browse\/PAY-12\)/, 'the label escaped, the link not');
    assert.match(text, /- ✓ \[ci\]\(https:\/\/ci\.example\/1\): success/);
    assert.match(text, /- ✓ Trivy \(scan\): passed, nothing found/);
    assert.match(text, /- ✗ lint: failure/);
    const plain = renderLineHover(
      file,
      { ...withChecks, commit: { ...line.commit!, summary: 'feat: no ticket' } },
      { ...options, changeReference: { pattern: '^(feat|fix):', urlTemplate: null } },
    );
    assert.doesNotMatch(plain, /\*\*Change\*\*/, 'a conventional prefix is not a reference');
  });

  it("says a signed commit's verdict after its summary, and nothing for an unsigned one", () => {
    assert.match(renderLineHover(file, line, { ...options, signature: 'G' }), /`aaaaaaa` feat\\: c · ✓ signed/);
    assert.match(renderLineHover(file, line, { ...options, signature: 'B' }), /`aaaaaaa` feat\\: c · ⚠ bad signature/);
    assert.doesNotMatch(renderLineHover(file, line, { ...options, signature: 'N' }), /signed|signature/);
  });

  it('warns when an environment runs the same commit as the one before it in the promotion order, rebuilt', () => {
    const env = (name: string, artifact: string) => ({
      name,
      deploymentId: `${name}-1`,
      commit: 'd'.repeat(40),
      at: '2026-03-01T10:00:00Z',
      actor: null,
      artifact,
      kind: 'deploy',
      note: null,
    });
    const rebuilt = { ...file, environments: [env('staging', `sha256:${'1'.repeat(64)}`), env('production', `sha256:${'2'.repeat(64)}`)] };
    const text = renderLineHover(rebuilt, line, options);
    assert.match(
      text,
      /⚠ \*\*rebuilt\*\*: production runs `sha256:222222222222…` for `ddddddd`, not `sha256:111111111111…` that staging ran/,
    );
    const promoted = { ...file, environments: [env('staging', `sha256:${'1'.repeat(64)}`), env('production', `sha256:${'1'.repeat(64)}`)] };
    assert.doesNotMatch(renderLineHover(promoted, line, options), /rebuilt/);
  });

  it('says who approved the deployment a live line arrived with, escaped', () => {
    const live: LineLineage = {
      ...line,
      environments: [
        {
          name: 'production',
          live: true,
          since: { deploymentId: 'd-9', at: '2026-03-01T10:00:00Z', actor: 'ci', artifact: null, approvedBy: ['rita', 'x*y'] },
        },
      ],
    };
    const text = renderLineHover({ ...file, lines: [live] }, live, options);
    assert.match(text, /\*\*production\*\*: live since .*d-9.*, by ci, approved by rita, x\\\*y/);
    const unapproved = {
      ...live,
      environments: [{ ...live.environments[0]!, since: { ...live.environments[0]!.since!, approvedBy: [] } }],
    };
    assert.doesNotMatch(renderLineHover({ ...file, lines: [unapproved] }, unapproved, options), /approved by/);
  });

  it('says what the environment requires before a deployment, from its protection rules', () => {
    const live: LineLineage = {
      ...line,
      environments: [
        { name: 'production', live: true, since: { deploymentId: 'd-9', at: '2026-03-01T10:00:00Z', actor: null, artifact: null } },
      ],
    };
    const state = {
      name: 'production',
      deploymentId: 'd-9',
      commit: 'd'.repeat(40),
      at: '2026-03-01T10:00:00Z',
      actor: null,
      artifact: null,
      kind: 'deploy',
      note: null,
      protection: { reviewers: ['rita', 'team:sre_[x]'], preventSelfReview: true, waitMinutes: 15 },
    };
    const text = renderLineHover({ ...file, environments: [state], lines: [live] }, live, options);
    assert.ok(text.includes('; requires review by rita, team\\:sre\\_\\[x\\] (not by who deploys), waits 15 min'), text);
  });
});

describe('changeRef', () => {
  it('names a GitLab merge request !N and a GitHub pull request #N, by its URL', async () => {
    const { changeRef } = await import('../../src/core/present/changeRef');
    assert.equal(changeRef({ number: 7, url: 'https://gitlab.example.com/gitlab/group/sub/app/-/merge_requests/7' }), '!7');
    assert.equal(changeRef({ number: 7, url: 'https://github.com/acme/app/pull/7' }), '#7');
    assert.equal(changeRef({ number: 7, url: null }), '#7');
    assert.equal(changeRef({ number: 7, url: 'https://evil.example/-/merge_requests/7/../../pull/7' }), '#7');
  });
});
