/** The embedded store on its own thread: PostgreSQL's errors arrive whole, and a closed store says so. */
import assert from 'node:assert/strict';
import { openScratch } from '../../src/server/store/embeddedDatabase';
import { StoreError } from '../../src/server/store/storeThread';

describe('the embedded store thread', function () {
  this.timeout(60_000);

  it('passes PostgreSQL errors on with their code, rolls a failed transaction back, and refuses work once closed', async () => {
    const db = await openScratch();
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, at timestamptz, data bytea)');
    await assert.rejects(db.query('SELECT * FROM missing'), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.match(e.message, /relation "missing" does not exist/);
      assert.equal(e.code, '42P01');
      return true;
    });
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t (id) VALUES (1)');
        await tx.query('INSERT INTO t (id) VALUES (1)');
      }),
      /duplicate key/,
    );
    assert.deepEqual((await db.query('SELECT count(*)::int AS n FROM t')).rows, [{ n: 0 }]);
    // Values cross the thread boundary as they are: dates, bytes, nulls.
    const at = new Date('2026-01-02T03:04:05.000Z');
    await db.query('INSERT INTO t VALUES ($1, $2, $3)', [2, at, new Uint8Array([1, 2, 255])]);
    const [row] = (await db.query<{ id: number; at: Date; data: Uint8Array }>('SELECT * FROM t')).rows;
    assert.equal(row!.at.toISOString(), at.toISOString());
    assert.deepEqual([...row!.data], [1, 2, 255]);
    await db.close();
    await assert.rejects(db.query('SELECT 1'), /the embedded store is closed/);
  });

  it('keeps statements from outside out of an open transaction', async () => {
    const db = await openScratch();
    await db.exec('CREATE TABLE t (id int)');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await t.query('INSERT INTO t VALUES (1)');
      await held;
      throw new Error('rolled back on purpose');
    });
    const outside = db.query('INSERT INTO t VALUES (2)');
    release();
    await assert.rejects(tx, /on purpose/);
    await outside;
    assert.deepEqual((await db.query('SELECT id FROM t')).rows, [{ id: 2 }]);
    await db.close();
  });

  it('counts every statement that may have changed the store, and no SELECT outside a transaction', async () => {
    const db = await openScratch();
    const counted = async (what: () => Promise<unknown>) => {
      const before = db.writes!;
      await what().catch(() => undefined);
      return db.writes! - before;
    };
    assert.equal(await counted(() => db.exec('CREATE TABLE t (id int PRIMARY KEY)')), 1);
    assert.equal(await counted(() => db.query('INSERT INTO t VALUES (1)')), 1);
    assert.equal(await counted(() => db.query('  with d AS (DELETE FROM t WHERE id = 1 RETURNING 1) SELECT count(*) FROM d')), 1);
    assert.equal(await counted(() => db.query('UPDATE t SET id = 2')), 1);
    assert.equal(await counted(() => db.query('SELECT * FROM t')), 0);
    assert.equal(await counted(() => db.query('\n select count(*) FROM t', [], { prepared: true })), 0);
    // A transaction counts once it ends, committed or rolled back, and a failed statement counts.
    assert.equal(await counted(() => db.transaction((tx) => tx.query('SELECT 1'))), 1);
    assert.equal(await counted(() => db.transaction(() => Promise.reject(new Error('no')))), 1);
    assert.equal(await counted(() => db.query('INSERT INTO missing VALUES (1)')), 1);
    await db.close();
  });
});
