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

  it('sees a configuration file that an include names once it appears, and a global one once it is created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lineage-include-'));
    const home = mkdtempSync(join(tmpdir(), 'lineage-home-'));
    const ran = join(dir, '..', `${dir.split('/').pop()}-ran`);
    const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
    try {
      process.env.HOME = home;
      delete process.env.XDG_CONFIG_HOME;
      const evil = join(dir, '..', `${dir.split('/').pop()}-evil.sh`);
      writeFileSync(evil, `#!/bin/sh\necho ran >> "${ran}"\ncat\n`);
      chmodSync(evil, 0o755);
      git(dir, ['init', '-q', '-b', 'main']);
      writeFileSync(join(dir, 'a.txt'), 'hello\n');
      writeFileSync(join(dir, 'b.txt'), 'world\n');
      writeFileSync(join(dir, '.gitattributes'), 'a.txt filter=later\nb.txt filter=global\n');
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '-m', 'first']);
      // Names a file in the working tree that does not exist yet: a checkout could bring it.
      git(dir, ['config', 'include.path', '../later.cfg']);
      const runner = new GitRunner(dir);
      await runner.run(['status', '--porcelain']);
      writeFileSync(join(dir, 'later.cfg'), `[filter "later"]\n\tclean = ${evil}\n`);
      writeFileSync(join(home, '.gitconfig'), `[filter "global"]\n\tclean = ${evil}\n`);
      writeFileSync(join(dir, 'a.txt'), 'hello again\n');
      writeFileSync(join(dir, 'b.txt'), 'world again\n');
      rmSync(ran, { force: true });
      try {
        git(dir, ['diff', '--stat']);
      } catch {
        // only whether it ran matters
      }
      assert.ok(existsSync(ran), 'plain git runs the filter the new files define');
      rmSync(ran, { force: true });
      await runner.run(['status', '--porcelain']).catch(() => undefined);
      await runner.run(['diff', '--stat']).catch(() => undefined);
      assert.equal(existsSync(ran), false, 'the runner listed the configuration again and neutralised both filters');
    } finally {
      process.env.HOME = saved.HOME;
      if (saved.XDG_CONFIG_HOME !== undefined) process.env.XDG_CONFIG_HOME = saved.XDG_CONFIG_HOME;
      rmSync(dir, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
      rmSync(ran, { force: true });
    }
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
