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

describe('BoundedCache with a byte budget', () => {
  const text = (n: number) => 'x'.repeat(n);
  const budget = { maxBytes: 1000, sizeOf: (s: string) => s.length };

  it('drops the least recently used answers once their sizes pass the budget', async () => {
    const cache = new BoundedCache<string>(100, budget);
    await cache.get('a', async () => text(400));
    await cache.get('b', async () => text(400));
    await cache.get('a', async () => 'recomputed'); // a is used again: b is now the oldest
    await cache.get('c', async () => text(400));
    await Promise.resolve();
    assert.equal(cache.byteSize, 800);
    assert.ok(cache.has('a') && cache.has('c'));
    assert.ok(!cache.has('b'), 'b, the least recently used, went');
  });

  it('hands out an answer bigger than the whole budget without keeping it', async () => {
    const cache = new BoundedCache<string>(100, budget);
    await cache.get('small', async () => text(10));
    const huge = await cache.get('huge', async () => text(5000));
    await Promise.resolve();
    assert.equal(huge.length, 5000);
    assert.ok(!cache.has('huge'));
    assert.ok(cache.has('small'), 'and what was kept stays');
    assert.equal(cache.byteSize, 10);
  });

  it('counts nothing for a failed computation and forgets what clear drops', async () => {
    const cache = new BoundedCache<string>(100, budget);
    await assert.rejects(cache.get('x', async () => Promise.reject(new Error('down'))));
    await cache.get('y', async () => text(100));
    await Promise.resolve();
    assert.equal(cache.byteSize, 100);
    cache.clear();
    assert.equal(cache.byteSize, 0);
    assert.equal(cache.size, 0);
  });
});
