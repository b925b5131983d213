/**
 * `lineage blame` starts git's blame of HEAD's version before it opens the repository, and keeps
 * it only when the working file is byte for byte what HEAD has: then and only then is it the blame
 * of the working file. Every other case is blamed as before, and the answers match git's.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCommittedBlame } from '../../src/core/git/committedBlame';
import { Repository } from '../../src/core/git/repository';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';

/** The per-line commit and text of `lineage blame --json --source git`, run in `cwd`. */
async function cliBlame(cwd: string, target: string): Promise<string[]> {
  const r = await runLineage(cwd, ['blame', target, '--json', '--source', 'git']);
  assert.equal(r.status, 0, r.stderr);
  return (r.json.lines as { commit: { sha: string } | null; text: string }[]).map((l) => `${l.commit?.sha ?? 'uncommitted'} ${l.text}`);
}

/** The same from git itself: `git blame --porcelain` of the working file. */
function gitBlame(repo: TestRepo, path: string): string[] {
  const out = repo.git(['blame', '--porcelain', '--', path]).split('\n');
  const lines: string[] = [];
  let sha = '';
  for (const line of out) {
    const header = /^([0-9a-f]{40}) \d+ \d+/.exec(line);
    if (header) sha = header[1] === '0'.repeat(40) ? 'uncommitted' : header[1]!;
    // The CLI shows a line's text without its carriage return.
    else if (line.startsWith('\t')) lines.push(`${sha} ${line.slice(1).replace(/\r$/, '')}`);
  }
  return lines;
}

describe('the blame started before the repository is opened', function () {
  this.timeout(60_000);
  let repo: TestRepo;

  beforeEach(() => {
    repo = TestRepo.init();
    repo.write('src/app.js', ['one', 'two', 'three']);
    repo.commit('first');
    repo.write('src/app.js', ['one', 'TWO', 'three', 'four']);
    repo.commit('second');
  });
  afterEach(() => repo.dispose());

  it("is kept only when the working file is HEAD's blob, and its answer is git's", async () => {
    const asUsual = async (git: Repository) => ({
      blame: (path: string) => {
        throw new Error(`blamed ${path} as usual`);
      },
      root: git.root,
    });
    const git = await Repository.open(repo.dir);
    const kept = await startCommittedBlame(repo.dir, 'src/app.js').blame((await asUsual(git)) as unknown as Repository, 'src/app.js');
    assert.deepEqual(
      kept.lines.map((l) => l.text),
      ['one', 'TWO', 'three', 'four'],
    );
    // Changed by one byte: the speculative answer is dropped and the file is blamed as usual.
    writeFileSync(join(repo.dir, 'src/app.js'), 'one\nTWO\nthree\nfour!\n');
    await assert.rejects(
      startCommittedBlame(repo.dir, 'src/app.js').blame((await asUsual(git)) as unknown as Repository, 'src/app.js'),
      /blamed src\/app\.js as usual/,
    );
  });

  it('answers as git does for an unchanged file, from the top, a subdirectory and by absolute path', async () => {
    const expected = gitBlame(repo, 'src/app.js');
    assert.deepEqual(await cliBlame(repo.dir, 'src/app.js'), expected);
    assert.deepEqual(await cliBlame(join(repo.dir, 'src'), 'app.js'), expected);
    assert.deepEqual(await cliBlame(join(repo.dir, 'src'), join(repo.dir, 'src/app.js')), expected);
  });

  it('answers as git does when the working file differs: an edited line, a final newline added or taken away, CRLF', async () => {
    const cases: [string, string][] = [
      ['an edited line', 'one\nTWO!\nthree\nfour\n'],
      ['the final newline taken away', 'one\nTWO\nthree\nfour'],
      ['CRLF line endings', 'one\r\nTWO\r\nthree\r\nfour\r\n'],
    ];
    for (const [what, text] of cases) {
      writeFileSync(join(repo.dir, 'src/app.js'), text);
      assert.deepEqual(await cliBlame(repo.dir, 'src/app.js'), gitBlame(repo, 'src/app.js'), what);
    }
    // HEAD without a final newline, the working file with one: the last line is not committed.
    writeFileSync(join(repo.dir, 'src/app.js'), 'one\nTWO\nthree\nfour');
    repo.commit('no final newline');
    writeFileSync(join(repo.dir, 'src/app.js'), 'one\nTWO\nthree\nfour\n');
    const added = await cliBlame(repo.dir, 'src/app.js');
    assert.deepEqual(added, gitBlame(repo, 'src/app.js'));
    assert.match(added[3]!, /^uncommitted four$/);
  });

  it('an untracked file and a path outside the repository are refused as before', async () => {
    writeFileSync(join(repo.dir, 'src/new.js'), 'fresh\n');
    const untracked = await runLineage(repo.dir, ['blame', 'src/new.js', '--source', 'git']);
    assert.equal(untracked.status, 2);
    assert.match(untracked.stderr, /not tracked by git/);
    const outside = await runLineage(repo.dir, ['blame', '/etc/hostname', '--source', 'git']);
    assert.equal(outside.status, 2);
    assert.match(outside.stderr, /outside the repository/);
  });
});
