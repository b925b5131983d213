import assert from 'node:assert/strict';
import { KeyFilter } from '../../src/server/store/keyFilter';

describe('the key filter', () => {
  it('never forgets a key it was given, across its growth, and rarely claims one it was not', () => {
    const filter = new KeyFilter(1_000);
    const key = (i: number) => `github:sha256-${(i * 2_654_435_761).toString(16).padStart(12, '0')}`;
    for (let i = 0; i < 50_000; i++) filter.add(key(i));
    for (let i = 0; i < 50_000; i++) assert.ok(filter.mayHave(key(i)), `forgot ${key(i)}`);
    let claimed = 0;
    for (let i = 50_000; i < 100_000; i++) if (filter.mayHave(key(i))) claimed++;
    // Seven layers after growing from 1,000: each near 1 % when full, the newest half full.
    assert.ok(claimed / 50_000 < 0.05, `${claimed} of 50,000 unseen keys claimed`);
  });

  it('tells keys that differ in one character apart', () => {
    const filter = new KeyFilter();
    filter.add('cdevents:abc');
    assert.equal(filter.mayHave('cdevents:abc'), true);
    assert.equal(filter.mayHave('cdevents:abd'), false);
  });
});
