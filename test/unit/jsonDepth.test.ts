/**
 * The ingest's nesting check: brackets inside strings never count, however the strings escape
 * their quotes, and nesting one level past the limit is refused wherever it is.
 */
import assert from 'node:assert/strict';
import { checkDepth, maxJsonDepth } from '../../src/server/http/request';

const nested = (n: number, inner = '1') => `${'['.repeat(n)}${inner}${']'.repeat(n)}`;
const deep = /nests deeper than 64 levels/;

describe('the JSON nesting check', () => {
  it('takes JSON nested exactly to the limit and refuses one level more', () => {
    assert.doesNotThrow(() => checkDepth(nested(maxJsonDepth), 'body'));
    assert.throws(() => checkDepth(nested(maxJsonDepth + 1), 'body'), deep);
    assert.throws(() => checkDepth(`{"a":"x","b":${nested(maxJsonDepth)}}`, 'body'), deep);
  });

  it('ignores brackets inside strings, whatever escapes come before their quotes', () => {
    const brackets = '['.repeat(200);
    for (const inner of [`"${brackets}"`, `"a\\"${brackets}"`, `"a\\\\\\"${brackets}"`, `"\\\\"`, `"tab\\t\\u005b${brackets}"`]) {
      assert.doesNotThrow(() => checkDepth(nested(maxJsonDepth, inner), 'body'), inner);
      assert.deepEqual(JSON.parse(nested(2, inner)), [[JSON.parse(inner)]], 'the inner text is a JSON string');
    }
  });

  it('counts brackets after a string that ends in escaped backslashes', () => {
    // "\\\\" ends at its last quote: the brackets after it are structure and count.
    assert.throws(() => checkDepth(`["\\\\\\\\",${nested(maxJsonDepth)}]`, 'body'), deep);
    assert.doesNotThrow(() => checkDepth(`["\\\\\\\\",${nested(maxJsonDepth - 1)}]`, 'body'));
  });

  it('leaves an unterminated string to the parser', () => {
    assert.doesNotThrow(() => checkDepth(`["${'['.repeat(500)}`, 'body'));
  });
});
