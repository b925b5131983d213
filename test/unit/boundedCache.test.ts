import assert from 'node:assert/strict';
import { BoundedCache } from '../../src/core/util/boundedCache';

describe('BoundedCache', () => {
  it('computes a key once while it is asked for again, and a new key anew', async () => {
    const cache = new BoundedCache<string>(8);
    let calls = 0;
    const compute = async () => `r${++calls}`;
    const [a, b] = await Promise.all([cache.get('x', compute), cache.get('x', compute)]);
    assert.equal(a, 'r1');
    assert.equal(b, 'r1', 'a request while the first runs shares it');
    assert.equal(await cache.get('y', compute), 'r2');
    assert.equal(calls, 2);
  });

  it('forgets a failed computation so the next request retries', async () => {
    const cache = new BoundedCache<string>(8);
    await assert.rejects(
      cache.get('x', async () => Promise.reject(new Error('service down'))),
      /service down/,
    );
    assert.equal(cache.size, 0);
    assert.equal(await cache.get('x', async () => 'ok'), 'ok');
  });

  it('keeps at most its bound, dropping the oldest key first', async () => {
    const cache = new BoundedCache<string>(2);
    let calls = 0;
    const compute = async () => `r${++calls}`;
    await cache.get('a', compute);
    await cache.get('b', compute);
    await cache.get('c', compute);
    assert.equal(cache.size, 2);
    assert.equal(await cache.get('b', compute), 'r2', 'b stayed');
    assert.equal(await cache.get('a', compute), 'r4', 'a was dropped and computed again');
  });

  it('clear drops everything', async () => {
    const cache = new BoundedCache<number>(4);
    let calls = 0;
    await cache.get('a', async () => ++calls);
    cache.clear();
    assert.equal(await cache.get('a', async () => ++calls), 2);
  });
});
