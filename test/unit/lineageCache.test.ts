import assert from 'node:assert/strict';
import type { FileLineage } from '../../src/core/lineage/lineLineage';
import { LineageCache } from '../../src/core/lineage/lineageCache';

const report = (tag: string): FileLineage => ({
  path: 'a.js',
  repo: 'acme/app',
  source: 'service',
  head: tag,
  environments: [],
  notices: [],
  lines: [{ line: 1, text: tag, commit: null, pullRequest: null, approvals: [], environments: [], findings: [] }],
});

describe('LineageCache', () => {
  it('computes a file once per buffer text and answers lines from it', async () => {
    const cache = new LineageCache();
    let calls = 0;
    const compute = async () => report(`r${++calls}`);
    assert.equal((await cache.line('a.js', 'x\n', 1, compute))?.text, 'r1');
    assert.equal((await cache.line('a.js', 'x\n', 1, compute))?.text, 'r1');
    assert.equal((await cache.line('a.js', 'y\n', 1, compute))?.text, 'r2', 'an edited buffer is a new entry');
    assert.equal(calls, 2);
  });

  it('drops everything when HEAD or the data version changes, and only then', async () => {
    const cache = new LineageCache();
    let calls = 0;
    const compute = async () => report(`r${++calls}`);
    assert.equal(cache.sync('aaa', '1-x'), false);
    await cache.file('a.js', 'x', compute);
    assert.equal(cache.sync('aaa', '1-x'), false);
    await cache.file('a.js', 'x', compute);
    assert.equal(calls, 1);
    assert.equal(cache.sync('bbb', '1-x'), true, 'HEAD moved');
    await cache.file('a.js', 'x', compute);
    assert.equal(cache.sync('bbb', '2-y'), true, 'new events in the service');
    await cache.file('a.js', 'x', compute);
    assert.equal(calls, 3);
  });

  it('forgets a failed computation so the next request retries', async () => {
    const cache = new LineageCache();
    await assert.rejects(cache.file('a.js', 'x', async () => Promise.reject(new Error('service down'))), /service down/);
    assert.equal((await cache.file('a.js', 'x', async () => report('ok'))).head, 'ok');
  });

  it('keeps at most its bound of files', async () => {
    const cache = new LineageCache(2);
    let calls = 0;
    const compute = async () => report(`r${++calls}`);
    for (const text of ['1', '2', '3']) await cache.file('a.js', text, compute);
    await cache.file('a.js', '1', compute);
    assert.equal(calls, 4, 'the oldest entry was evicted');
  });
});
