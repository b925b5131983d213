/**
 * What the engine reads from the repository's files instead of asking git (HEAD's commit, git's
 * binary test) agrees with git, and hands over to git where the files alone cannot tell.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repository } from '../../src/core/git/repository';
import { TestRepo } from '../helpers/gitRepo';

describe('the repository read from its files', function () {
  this.timeout(60_000);

  it("names HEAD's commit as git does: loose ref, packed ref, detached, unborn, a worktree", async () => {
    const repo = TestRepo.init();
    const open = () => Repository.open(repo.dir);
    assert.equal(await (await open()).head(), null, 'unborn branch');
    repo.write('a.txt', ['one']);
    const first = repo.commit('first');
    assert.equal(await (await open()).head(), first);
    repo.git(['pack-refs', '--all']);
    assert.equal(await (await open()).head(), first, 'packed ref');
    repo.write('a.txt', ['two']);
    const second = repo.commit('second');
    assert.equal(await (await open()).head(), second, 'a loose ref over a packed one');
    repo.git(['checkout', '--detach', first]);
    assert.equal(await (await open()).head(), first, 'detached');
    repo.git(['checkout', '-B', 'main']);
    const worktree = join(mkdtempSync(join(tmpdir(), 'lineage-worktree-')), 'side');
    repo.git(['worktree', 'add', '-b', 'side', worktree, second]);
    assert.equal(await (await Repository.open(worktree)).head(), second, 'linked worktree');
  });

  it("applies git's binary test: a NUL in the first 8,000 bytes, or an attribute that says so", async () => {
    const repo = TestRepo.init();
    repo.write('src/text.js', ['const a = 1;']);
    writeFileSync(join(repo.dir, 'src/blob.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 10, 65]));
    writeFileSync(join(repo.dir, 'src/late.txt'), `${'x'.repeat(9000)}\0\n`);
    repo.write('vendor/min.js', ['var a=1;']);
    repo.commit('files');
    const plain = await Repository.open(repo.dir);
    assert.equal(await plain.isBinary('src/text.js'), false);
    assert.equal(await plain.isBinary('src/blob.bin'), true);
    assert.equal(await plain.isBinary('src/late.txt'), false, 'a NUL past 8,000 bytes, as git');
    assert.equal(await plain.isBinary('vendor/min.js'), false);
    repo.write('vendor/.gitattributes', ['*.js binary']);
    repo.commit('attributes');
    const marked = await Repository.open(repo.dir);
    assert.equal(await marked.isBinary('vendor/min.js'), true, 'the attribute decides');
    assert.equal(await marked.isBinary('src/text.js'), false);
  });
});
