import assert from 'node:assert/strict';
import { mapLines, mapTexts, splitLines } from '../../src/core/linemap/lineMap';

/** An independent oracle: longest common subsequence by dynamic programming, for small inputs. */
function lcsLength(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  }
  return dp[0]![0]!;
}

describe('line maps', () => {
  it('splits on LF and CRLF and ignores one trailing newline', () => {
    assert.deepEqual(splitLines('a\r\nb\nc\n'), ['a', 'b', 'c']);
    assert.deepEqual(splitLines(''), []);
    assert.deepEqual(splitLines('a\n\n'), ['a', '']);
  });

  it('maps unchanged lines across inserts, deletes and edits', () => {
    const from = ['one', 'two', 'three', 'four', 'five'];
    const to = ['zero', 'one', 'two', 'THREE', 'four', 'five', 'six'];
    const map = mapLines(from, to);
    assert.deepEqual([...map.toFrom], [-1, 0, 1, -1, 3, 4, -1]);
    assert.deepEqual([...map.fromTo], [1, 2, -1, 4, 5]);
  });

  it('treats a CRLF copy of a file as unchanged', () => {
    const map = mapTexts('a\nb\nc\n', 'a\r\nb\r\nc\r\n');
    assert.deepEqual([...map.toFrom], [0, 1, 2]);
  });

  it('matches as many lines as a longest common subsequence, on random edits', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let round = 0; round < 200; round++) {
      const alphabet = 'abcdef';
      const from = Array.from({ length: Math.floor(rand() * 30) }, () => alphabet[Math.floor(rand() * alphabet.length)]!);
      const to = from.filter(() => rand() > 0.2).map((l) => (rand() > 0.85 ? alphabet[Math.floor(rand() * alphabet.length)]! : l));
      if (rand() > 0.5) to.splice(Math.floor(rand() * to.length), 0, 'x', 'y');
      const map = mapLines(from, to);
      let matched = 0;
      let last = -1;
      map.toFrom.forEach((f, t) => {
        if (f < 0) return;
        assert.equal(from[f], to[t], 'a mapped line is identical');
        assert.ok(f > last, 'the map preserves order');
        last = f;
        matched++;
      });
      assert.equal(matched, lcsLength(from, to), `round ${round}`);
    }
  });

  it('keeps a moved block whole and stays a valid alignment on large scattered changes', () => {
    // A real file's shape: unique statements among repeated braces and blank lines.
    const file = Array.from({ length: 10_000 }, (_, i) => (i % 7 === 0 ? '}' : i % 5 === 0 ? '' : `  statement(${i});`));
    const valid = (from: string[], to: string[]) => {
      const map = mapLines(from, to);
      let last = -1;
      let matched = 0;
      map.toFrom.forEach((f, t) => {
        if (f < 0) return;
        assert.equal(from[f], to[t]);
        assert.ok(f > last);
        assert.equal(map.fromTo[f], t);
        last = f;
        matched++;
      });
      return matched;
    };
    // The second half moved before the first: far past the exact search's budget.
    const moved = [...file.slice(5_000), ...file.slice(0, 5_000)];
    assert.ok(valid(file, moved) >= 5_000);
    // Every third line edited, a block of 300 lines inserted, another of 200 deleted.
    const edited = file.map((l, i) => (i % 3 === 0 ? `${l} // edited` : l));
    edited.splice(4_000, 200);
    edited.splice(1_000, 0, ...Array.from({ length: 300 }, (_, i) => `inserted(${i});`));
    const unchanged = file.filter((_, i) => i % 3 !== 0).length - 200;
    assert.ok(valid(file, edited) >= unchanged - 100);
    assert.ok(valid(file, [...file].reverse()) >= 0);
  });

  it('stays fast on a large file with a completely different middle', () => {
    const from = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
    const to = Array.from({ length: 20_000 }, (_, i) => `other ${i}`);
    const map = mapLines(from, to, 1000);
    assert.equal(map.toFrom.filter((f) => f >= 0).length, 0);
  });
});
