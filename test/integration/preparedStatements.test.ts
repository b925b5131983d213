/**
 * A statement run with `prepared: true` is planned once per connection and then only bound and
 * run: the same rows as the plain statement on both stores, parameters of every kind the service
 * binds (text, arrays of text, numbers, nulls), and a failure that leaves the store working and
 * the statement usable again.
 */
import assert from 'node:assert/strict';
import type { Database } from '../../src/server/store/database';
import { openScratch } from '../../src/server/store/embeddedDatabase';
import { openDatabase } from '../../src/server/store/openDatabase';
import { backends, freshStore } from '../helpers/testService';

describe('prepared statements', function () {
  this.timeout(120_000);

  for (const backend of backends()) {
    describe(`on the ${backend} store`, () => {
      let db: Database;
      before(async () => {
        db = await openDatabase(await freshStore(backend));
        await db.exec(`CREATE TABLE prepared_probe (id text PRIMARY KEY, n int, note text)`);
        await db.query(`INSERT INTO prepared_probe VALUES ('a', 1, 'it''s'), ('b', 2, NULL), ('c"{x}', 3, 'q')`);
      });
      after(async () => db?.close());

      const sql = `SELECT coalesce(json_agg(t ORDER BY t.id)::text, '[]') AS rows
                     FROM (SELECT id, n, note FROM prepared_probe WHERE id = ANY($1::text[]) AND ($2::int IS NULL OR n >= $2)) t`;

      it('answers as the plain statement does, call after call, with arrays, numbers and nulls bound', async () => {
        for (const params of [
          [['a', 'b'], null],
          [['a', 'b', 'c"{x}'], 2],
          [[], null],
          [['c"{x}', 'missing'], 1],
          [['a'], 5],
        ]) {
          const plain = await db.query<{ rows: string }>(sql, params);
          const prepared = await db.query<{ rows: string }>(sql, params, { prepared: true });
          assert.deepEqual(prepared.rows, plain.rows, JSON.stringify(params));
        }
        const both = JSON.parse((await db.query<{ rows: string }>(sql, [['a', 'c"{x}'], null], { prepared: true })).rows[0]!.rows);
        assert.deepEqual(both, [
          { id: 'a', n: 1, note: "it's" },
          { id: 'c"{x}', n: 3, note: 'q' },
        ]);
      });

      it('runs a kept statement afresh when a schema change altered its columns', async () => {
        await db.exec('CREATE TABLE altered (id int)');
        await db.query('INSERT INTO altered VALUES (1)');
        // Every connection of the pool plans it once before the change.
        await Promise.all(Array.from({ length: 8 }, () => db.query('SELECT * FROM altered WHERE id = $1', [1], { prepared: true })));
        await db.exec('ALTER TABLE altered ADD COLUMN note text');
        for (let i = 0; i < 8; i++)
          assert.deepEqual((await db.query('SELECT * FROM altered WHERE id = $1', [1], { prepared: true })).rows, [{ id: 1, note: null }]);
      });

      it('reports a failure with PostgreSQL’s words and keeps working, the statement included', async () => {
        await assert.rejects(db.query(sql, [['a'], 'not a number'], { prepared: true }), /invalid input syntax for type integer/);
        await assert.rejects(db.query('SELECT * FROM no_such_table WHERE id = $1', ['x'], { prepared: true }), /no_such_table/);
        assert.equal(JSON.parse((await db.query<{ rows: string }>(sql, [['b'], null], { prepared: true })).rows[0]!.rows).length, 1);
        // A statement inside a transaction that rolls back: the store and the kept plan both still serve.
        await assert.rejects(
          db.transaction(async (tx) => {
            await tx.query(`INSERT INTO prepared_probe VALUES ('d', 4, NULL)`);
            await tx.query(sql, [['a'], 'NaN'], { prepared: true });
          }),
          /invalid input syntax/,
        );
        const after = JSON.parse(
          (await db.query<{ rows: string }>(sql, [['a', 'b', 'c"{x}', 'd'], null], { prepared: true })).rows[0]!.rows,
        );
        assert.deepEqual(
          after.map((r: { id: string }) => r.id),
          ['a', 'b', 'c"{x}'],
          'the rolled-back row is not there',
        );
      });
    });
  }
});

describe('statements the embedded store keeps prepared', function () {
  this.timeout(60_000);

  it('plans a statement afresh when a schema change altered its columns, and keeps at most 256', async () => {
    const db = await openScratch();
    try {
      await db.exec('CREATE TABLE wide (id int)');
      await db.query('INSERT INTO wide VALUES ($1)', [1]);
      assert.deepEqual((await db.query('SELECT * FROM wide WHERE id = $1', [1], { prepared: true })).rows, [{ id: 1 }]);
      await db.exec('ALTER TABLE wide ADD COLUMN note text');
      assert.deepEqual((await db.query('SELECT * FROM wide WHERE id = $1', [1], { prepared: true })).rows, [{ id: 1, note: null }]);
      // Many distinct texts (a batch insert's text changes with its row count): the store keeps answering.
      for (let n = 1; n <= 300; n++) {
        const values = Array.from({ length: n }, (_, i) => `($${i + 1})`).join(', ');
        await db.query(
          `INSERT INTO wide (id) VALUES ${values}`,
          Array.from({ length: n }, (_, i) => i),
          { prepared: true },
        );
      }
      assert.deepEqual((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM wide')).rows, [{ n: 1 + (300 * 301) / 2 }]);
      const held = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements');
      assert.ok(held.rows[0]!.n <= 256, `${held.rows[0]!.n} statements held`);
      assert.ok(held.rows[0]!.n >= 200, 'recent statements stay prepared');
    } finally {
      await db.close();
    }
  });
});
