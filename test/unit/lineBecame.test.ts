import assert from 'node:assert/strict';
import { lineBecame, looseForm } from '../../src/core/linemap/lineBecame';
import { mapLines } from '../../src/core/linemap/lineMap';

/** Where old line `n` (1-based) went, as lineBecame says: [new line, how] or null. */
function became(oldText: string[], newText: string[], n: number): [number, string] | null {
  const { fromTo } = mapLines(oldText, newText);
  assert.equal(fromTo[n - 1], -1, `line ${n} must not be unchanged for the question to arise`);
  const b = lineBecame(oldText, newText, fromTo, n - 1);
  return b ? [b.index + 1, b.how] : null;
}

describe('the line an old line became', () => {
  it('finds a line re-indented, re-quoted or re-terminated by a formatter in its hunk', () => {
    const before = ['def rate(region):', "    rates = {'eu': 0.2}", '    return rates[region]', '', 'rate("us")'];
    const after = ['def rate(region):', '    rates = {"eu": 0.2}', '    return rates[region];', '', 'rate("us")'];
    assert.deepEqual(became(before, after, 2), [2, 'reformatted']);
    assert.equal(looseForm("  x = 'a';"), 'x="a"');
  });

  it('finds a line moved elsewhere in the file when exactly one unmatched line equals it', () => {
    const before = ['a = 1', 'b = 2', 'total = price * quantity', 'c = 3', 'd = 4'];
    const after = ['a = 1', 'b = 2', 'c = 3', 'd = 4', 'e = 5', 'total = price * quantity'];
    assert.deepEqual(became(before, after, 3), [6, 'moved']);
  });

  it('takes the most similar line of the hunk for an edit, and nothing below half the tokens', () => {
    const before = ['function total(items) {', '  if (items.length === 0) throw new Error("empty order");', '  return sum(items);', '}'];
    const edited = [
      'function total(items) {',
      '  if (items.length === 0) throw new Error(`empty order: nothing to total`);',
      '  return sum(items);',
      '}',
    ];
    assert.deepEqual(became(before, edited, 2), [2, 'edited']);
    const replaced = ['function total(items) {', '  assertNonEmpty(list);', '  return sum(items);', '}'];
    assert.equal(became(before, replaced, 2), null);
  });

  it('never guesses for lines too short to tell apart', () => {
    const before = ['if (a) {', '  run(a);', '}', 'if (b) {', '  run(b);', '}'];
    const after = ['if (a) {', '  run(a);', '  }', 'if (b) {', '  run(b);', '  }'];
    const { fromTo } = mapLines(before, after);
    const closing = before.findIndex((l, i) => l === '}' && fromTo[i] === -1);
    assert.ok(closing >= 0);
    assert.equal(lineBecame(before, after, fromTo, closing), null);
  });

  it('does not take a line that survives unchanged elsewhere for the one that changed', () => {
    const before = ['x = compute(a, b)', 'y = compute(a, b)', 'z = 1'];
    const after = ['x = compute(a, b)', 'z = 1', 'w = compute(a, c)'];
    const { fromTo } = mapLines(before, after);
    const b = lineBecame(before, after, fromTo, 1);
    assert.notEqual(b?.index, 0, 'line 1 of the new text is old line 1, unchanged');
  });
});
