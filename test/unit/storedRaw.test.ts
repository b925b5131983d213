/**
 * How an event's text is handed to the store (src/server/store/storedRaw.ts): compressed ahead on
 * the service's thread, or marked to be compressed where the statement is sent; either way the
 * bytes that reach the database inflate to the text exactly.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { compressAhead, compressedAhead, deflateFrom, storedFormOf } from '../../src/server/store/storedRaw';

/** What reaches the database: the deflated bytes themselves, each in a buffer of its own size. */
function inflate(sent: unknown): string {
  assert.ok(Buffer.isBuffer(sent), 'sent as bytes');
  assert.equal(sent.byteOffset, 0, 'not a view into a larger buffer');
  assert.equal(sent.buffer.byteLength, sent.length, 'not a view into a larger buffer');
  return inflateRawSync(sent).toString('utf8');
}

describe("an event's stored text", () => {
  const large = JSON.stringify({ deployment: { environment: 'prod — ü 漢字 😀', payload: 'x'.repeat(deflateFrom) } });

  it('compressed ahead: the statement gets the compressed text, which inflates to the text', () => {
    const event = compressAhead({ raw: large });
    const [raw, z] = storedFormOf(event);
    assert.equal(raw, null);
    assert.ok(z !== null && z === compressedAhead(event), 'the bytes compressed ahead, not compressed again');
    assert.equal(inflate(z), large);
  });

  it('not compressed ahead: compressed when the statement is made, to the same text', () => {
    const [raw, z] = storedFormOf({ raw: large });
    assert.equal(raw, null);
    assert.equal(inflate(z), large);
  });

  it('compressed ahead: the event holds no copy of its text, and gives it back whole when read', () => {
    const event: { key: string; raw: string; facts: unknown[]; rawSha256?: string } = {
      key: 'k',
      raw: large,
      facts: [{ table: 'deployments' }],
    };
    const light = compressAhead(event);
    assert.notEqual(light, event);
    assert.equal(Object.getOwnPropertyDescriptor(light, 'raw')?.value, undefined, 'the text is not a value of the event');
    assert.equal(light.raw, large);
    assert.equal(light.rawSha256, createHash('sha256').update(large, 'utf8').digest('hex'), 'hashed once, before the text is let go');
    assert.deepEqual(
      JSON.parse(JSON.stringify(light)),
      { ...event, rawSha256: light.rawSha256 },
      'written out (a refused record) with its text',
    );
    assert.equal(compressAhead({ raw: large, rawSha256: 'given' }).rawSha256, 'given');
  });

  it('small: kept as text, with nothing compressed ahead', () => {
    const event = { raw: '{"small":true}' };
    assert.equal(compressAhead(event), event);
    assert.deepEqual(storedFormOf(event), ['{"small":true}', null]);
  });
});
