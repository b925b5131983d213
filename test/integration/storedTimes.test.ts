/**
 * Times as the store writes them into JSON (`…+00:00`, a fraction of up to six digits) read as the
 * API's ISO form, exactly as parsing them as dates and printing them gives; times in any other
 * form (another zone, a Date) still go through the date parser.
 */
import assert from 'node:assert/strict';
import { openScratch } from '../../src/server/store/embeddedDatabase';
import { isoOrNull } from '../../src/server/store/rows';

describe('times read from the store', function () {
  this.timeout(60_000);

  it('reads the store’s JSON times as the date parser does, to the millisecond', async () => {
    const db = await openScratch();
    try {
      await db.exec(`SET TimeZone = 'UTC'`);
      const times = [
        '2026-06-02 08:00:00+00',
        '2026-06-02 08:00:00.5+00',
        '2026-06-02 08:00:00.12+00',
        '2026-06-02 08:00:00.123+00',
        '2026-06-02 08:00:00.1239+00',
        '2026-06-02 08:00:00.999999+00',
        '1999-12-31 23:59:59.000001+00',
        '2026-03-29 01:30:00+02',
      ];
      const { rows } = await db.query<{ t: string }>(
        `SELECT json_agg(x ORDER BY ord)::text AS t FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(x, ord)`,
        [times],
      );
      const texts = JSON.parse(rows[0]!.t) as string[];
      assert.ok(
        texts.every((t) => t.endsWith('+00:00')),
        texts.join(' '),
      );
      for (const text of texts) assert.equal(isoOrNull(text), new Date(text).toISOString(), text);
      assert.equal(isoOrNull(texts[5]), '2026-06-02T08:00:00.999Z', 'the fraction is cut, not rounded');
    } finally {
      await db.close();
    }
  });

  it('leaves other forms to the date parser: another zone, a Date, nothing', () => {
    assert.equal(isoOrNull('2026-06-02T10:00:00.25+02:00'), '2026-06-02T08:00:00.250Z');
    assert.equal(isoOrNull('2026-06-02T08:00:00+00'), null, 'not a form the store writes, and not one the parser reads');
    assert.equal(isoOrNull(new Date('2026-06-02T08:00:00Z')), '2026-06-02T08:00:00.000Z');
    assert.equal(isoOrNull('not a time'), null);
    assert.equal(isoOrNull(null), null);
  });
});
