/**
 * A `bytea[]` sent to PostgreSQL in its binary array format (`binaryByteaArray`, how the event
 * writer sends a commit's deflated texts) arrives as the same elements: NULLs, empty values, every
 * byte value including those an array's text form must escape, and values of many kilobytes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { binaryByteaArray } from '../../src/server/store/binaryArray';
import { backends, postgresUrl } from '../helpers/testService';

describe('a bytea[] in binary', () => {
  it('lays out dimensions, NULL flag, element type, bounds and each element', () => {
    const b = binaryByteaArray([Buffer.from([1, 2]), null]);
    assert.deepEqual([...b], [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 17, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 0xff, 0xff, 0xff, 0xff]);
    assert.deepEqual([...binaryByteaArray([])], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17]);
  });

  for (const backend of backends().filter((b) => b === 'postgres')) {
    it(`reaches ${backend} as the same elements`, async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        const elements = [every, null, Buffer.alloc(0), Buffer.from('{"a","b\\\\c"}, NULL'), randomBytes(200_000), null];
        const { rows } = await client.query<{ n: number; nulls: number; parts: Buffer[] }>(
          `SELECT cardinality($1::bytea[]) AS n, array_position($1::bytea[], NULL) AS nulls, $1::bytea[] AS parts`,
          [binaryByteaArray(elements)],
        );
        assert.equal(rows[0]!.n, elements.length);
        assert.equal(rows[0]!.nulls, 2);
        assert.deepEqual(rows[0]!.parts, elements);
        const none = await client.query<{ n: number | null }>(`SELECT cardinality($1::bytea[]) AS n`, [binaryByteaArray([])]);
        assert.equal(none.rows[0]!.n, 0);
      } finally {
        await client.end();
      }
    });
  }
});
