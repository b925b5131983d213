/**
 * A repository can name programs in its own config that git runs on ordinary commands. The runner
 * must neutralise them: each is planted here, plain git is shown to run it, and the runner is shown
 * not to.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRevision, GitError, GitRunner } from '../../src/core/git/gitRunner';

function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, {
    cwd,
    input,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@x' },
  });
}

describe('git runner safety', () => {
  let repo: string;
  let marker: string;
  before(() => {
    repo = mkdtempSync(join(tmpdir(), 'lineage-hostile-'));
    marker = join(repo, '..', `${repo.split('/').pop()}-ran`);
    const evil = join(repo, '.git-evil.sh');
    git(repo, ['init', '-q', '-b', 'main']);
    writeFileSync(evil, `#!/bin/sh\necho "$0 $*" >> "${marker}"\nexit 1\n`);
    chmodSync(evil, 0o755);
    writeFileSync(join(repo, 'a.txt'), 'hello\n');
    git(repo, ['add', 'a.txt']);
    git(repo, ['commit', '-q', '-m', 'first']);
    // A commit carrying a signature header, so verifying it calls gpg.program.
    const tree = git(repo, ['rev-parse', 'HEAD^{tree}']).trim();
    const parent = git(repo, ['rev-parse', 'HEAD']).trim();
    const signed = [
      `tree ${tree}`,
      `parent ${parent}`,
      'author T <t@x> 1700000000 +0000',
      'committer T <t@x> 1700000000 +0000',
      'gpgsig -----BEGIN PGP SIGNATURE-----',
      ' ',
      ' iQEzBAABCAAdFiEEfake',
      ' -----END PGP SIGNATURE-----',
      '',
      'signed',
      '',
    ].join('\n');
    const sha = git(repo, ['hash-object', '-t', 'commit', '-w', '--stdin'], signed).trim();
    git(repo, ['update-ref', 'refs/heads/main', sha]);
    for (const [key, value] of <[string, string][]>[
      ['core.fsmonitor', evil],
      ['gpg.program', evil],
      ['log.showSignature', 'true'],
      ['core.pager', evil],
      ['core.hooksPath', repo],
    ]) {
      git(repo, ['config', key, value]);
    }
  });
  after(() => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(marker, { force: true });
  });

  it('plain git runs the planted programs (the threat is real)', () => {
    rmSync(marker, { force: true });
    try {
      git(repo, ['status']);
      git(repo, ['log', '-1', '--format=%G?']);
    } catch {
      // the planted programs fail on purpose; running them is what matters
    }
    assert.ok(existsSync(marker), 'plain git ran a repository-configured program');
  });

  it('the runner runs none of them', async () => {
    rmSync(marker, { force: true });
    const runner = new GitRunner(repo);
    await runner.run(['status', '--porcelain']);
    const log = await runner.run(['log', '-1', '--format=%H %G?']);
    assert.match(log, /^[0-9a-f]{40} /);
    await runner.run(['log', '--format=%s', '-n', '2']);
    assert.equal(existsSync(marker), false, 'no repository-configured program ran');
  });

  it('accepts only hex ids as revisions from outside', () => {
    assert.equal(checkRevision('ABCDEF0123'), 'abcdef0123');
    for (const bad of ['--output=/tmp/x', 'HEAD', 'main', '-p', 'a b', '']) {
      assert.throws(
        () => checkRevision(bad),
        (e) => GitError.is(e, 'badRevision'),
      );
    }
  });

  it('reports a folder outside any repository clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lineage-norepo-'));
    try {
      await assert.rejects(new GitRunner(dir).run(['rev-parse', 'HEAD']), (e) => GitError.is(e, 'notARepository'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
