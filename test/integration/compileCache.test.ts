/**
 * The command line keeps V8's compiled code of its command bundles between runs
 * (src/cli/compileCache.ts): the answer is the same with the cache, without it, and with a cache
 * file that is damaged; a file anybody else could have written is never loaded; a cache folder
 * that cannot be made costs nothing but the cache.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCacheDir, readCache } from '../../src/cli/compileCache';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';

describe('the command line keeps compiled code between runs', function () {
  this.timeout(60_000);
  let repo: TestRepo;
  let scratch: string;
  let cache: string;

  before(() => {
    repo = TestRepo.init();
    repo.write('app.js', 'one\ntwo\n');
    repo.commit('first');
    repo.write('app.js', 'one\ntwo\nthree\n');
    repo.commit('second');
  });
  after(() => repo.dispose());
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'lineage-cc-test-'));
    cache = join(scratch, 'cache', 'v8');
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  const blame = (env: Record<string, string>) => runLineage(repo.dir, ['blame', 'app.js', '--json', '--source', 'git'], undefined, env);
  const files = () => readdirSync(cache).filter((f) => f.endsWith('.bin'));

  it('writes the bundles it compiled, reads them the next time, and answers the same', async () => {
    const cold = await blame({ LINEAGE_COMPILE_CACHE: cache });
    assert.equal(cold.status, 0, cold.stderr);
    const written = files();
    assert.ok(
      written.some((f) => f.startsWith('blameCommand-')),
      `cache holds ${written.join(', ')}`,
    );
    assert.equal(statSync(cache).mode & 0o777, 0o700);
    for (const f of written) assert.equal(statSync(join(cache, f)).mode & 0o777, 0o600);
    const before = written.map((f) => readFileSync(join(cache, f)));

    const warm = await blame({ LINEAGE_COMPILE_CACHE: cache });
    assert.equal(warm.status, 0, warm.stderr);
    assert.deepEqual(warm.json, cold.json);
    // Accepted by V8, so not written again.
    assert.deepEqual(files(), written);
    written.forEach((f, i) => assert.ok(readFileSync(join(cache, f)).equals(before[i]!), `${f} was rewritten`));
    assert.deepEqual(
      cold.json.lines.map((l: { text: string }) => l.text),
      ['one', 'two', 'three'],
    );
  });

  it("keeps one file per bundle: an earlier build's goes when the new one is written", async () => {
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    const earlier = join(cache, 'blameCommand-0123456789abcdef0123456789abcdef.bin');
    const other = join(cache, 'blameCommandExtra-0123456789abcdef0123456789abcdef.bin');
    writeFileSync(earlier, 'from an earlier build', { mode: 0o600 });
    writeFileSync(other, 'another bundle', { mode: 0o600 });
    assert.equal((await blame({ LINEAGE_COMPILE_CACHE: cache })).status, 0);
    assert.equal(existsSync(earlier), false);
    assert.equal(existsSync(other), true);
    assert.equal(files().filter((f) => f.startsWith('blameCommand-')).length, 1);
  });

  it('compiles afresh over a damaged file and replaces it', async () => {
    assert.equal((await blame({ LINEAGE_COMPILE_CACHE: cache })).status, 0);
    const target = files().find((f) => f.startsWith('blameCommand-'))!;
    writeFileSync(join(cache, target), Buffer.alloc(4096, 0x5a), { mode: 0o600 });
    const r = await blame({ LINEAGE_COMPILE_CACHE: cache });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.json.lines.map((l: { text: string }) => l.text),
      ['one', 'two', 'three'],
    );
    assert.notDeepEqual(readFileSync(join(cache, target)), Buffer.alloc(4096, 0x5a));
  });

  it('never loads a file, or from a folder, that someone else could have written', function () {
    if (typeof process.getuid !== 'function') this.skip();
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    const file = join(cache, 'x.bin');
    writeFileSync(file, 'code', { mode: 0o600 });
    assert.equal(readCache(cache, file)?.toString(), 'code');
    chmodSync(file, 0o620);
    assert.equal(readCache(cache, file), undefined, 'group-writable file');
    chmodSync(file, 0o602);
    assert.equal(readCache(cache, file), undefined, 'world-writable file');
    chmodSync(file, 0o600);
    chmodSync(cache, 0o777);
    assert.equal(readCache(cache, file), undefined, 'world-writable folder');
    chmodSync(cache, 0o700);
    assert.equal(readCache(cache, join(cache, 'missing.bin')), undefined);
  });

  it('answers without a cache when it is turned off or its folder cannot be made', async () => {
    const off = await blame({ LINEAGE_COMPILE_CACHE: 'off', XDG_CACHE_HOME: join(scratch, 'xdg') });
    assert.equal(off.status, 0, off.stderr);
    assert.equal(existsSync(join(scratch, 'xdg')), false);
    // Under /proc, Node's recursive mkdir never returns; the cache gives up at once instead.
    const started = Date.now();
    const unmakeable = await blame({
      LINEAGE_COMPILE_CACHE: process.platform === 'linux' ? '/proc/nonexistent/cache' : join(scratch, 'file', 'v8'),
    });
    assert.equal(unmakeable.status, 0, unmakeable.stderr);
    assert.ok(Date.now() - started < 20_000);
    assert.deepEqual(unmakeable.json, off.json);
  });

  it('is the user cache folder by default', () => {
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: '/x/cache' }), join('/x/cache', 'code-lineage', 'v8'));
    assert.equal(compileCacheDir({ LINEAGE_COMPILE_CACHE: '/y' }), '/y');
    assert.equal(compileCacheDir({ LINEAGE_COMPILE_CACHE: 'off' }), null);
    assert.ok(compileCacheDir({})!.endsWith(join('.cache', 'code-lineage', 'v8')) || process.platform === 'win32');
  });
});
