/**
 * The store keeps a large event's text deflated and a small one's as text
 * (src/server/store/storedRaw.ts), on both stores: read back byte for byte, the deflated one in
 * less room, and verified as before. A large text stored as text (as rows were before) still reads,
 * verifies and exports; the schema refuses a row with both or neither; a deflated text that no
 * longer inflates, or says something else, breaks the chain at its entry.
 */
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { forgeRaw, readRaw } from '../helpers/storedEvents';
import { syntheticStream } from '../helpers/streams';
import { backends, http, startTestService } from '../helpers/testService';
import { webhookExample } from '../helpers/webhookExamples';

/** Reads wait until the store holds every acknowledged event; the tests read the tables after. */
async function caughtUp(url: string): Promise<void> {
  assert.equal((await http(`${url}/v1/health`)).status, 200);
}

for (const backend of backends()) {
  describe(`a delivery's text, kept deflated (${backend} store)`, function () {
    this.timeout(60_000);

    it('is read back byte for byte, a large one deflated in less room, a small one as text, and the chain verifies', async () => {
      const t = await startTestService(backend);
      try {
        const body = JSON.stringify(webhookExample('deployment_status'), null, 1);
        const res = await http(`${t.url}/v1/webhooks/github`, { body, headers: { 'x-github-event': 'deployment_status' } });
        assert.equal(res.status, 200, res.text);
        const key = res.json.events[0].key as string;
        await t.client.ingest('events', JSON.stringify(syntheticStream('acme/deflated', 2)));
        await caughtUp(t.url);
        const rows = await t.service.db.query<{ key: string; raw: string | null; raw_z: Uint8Array | null }>(
          'SELECT key, raw, raw_z FROM events',
        );
        assert.ok(rows.rows.length > 5);
        for (const row of rows.rows) {
          if (row.key === key) {
            assert.equal(row.raw, null, 'a GitHub delivery is not kept as text');
            assert.ok(row.raw_z instanceof Uint8Array && row.raw_z.length > 0);
          } else {
            assert.equal(row.raw_z, null, `${row.key} (small) is kept as text`);
            assert.equal(typeof row.raw, 'string');
          }
        }
        assert.equal(await readRaw(t.service.db, key), body, 'the delivery exactly as sent');
        const stored = rows.rows.find((r) => r.key === key)!.raw_z!;
        assert.ok(stored.length < Buffer.byteLength(body) / 2, `${stored.length} bytes for ${Buffer.byteLength(body)}`);
        assert.equal((await t.client.verifyAudit()).ok, true);
      } finally {
        await t.close();
      }
    });

    it('reads, verifies and exports a large text stored as text, as before, and refuses a row with both or neither', async () => {
      const t = await startTestService(backend);
      try {
        for (const index of [0, 1]) {
          const body = JSON.stringify(webhookExample('deployment_status', index));
          const res = await http(`${t.url}/v1/webhooks/github`, { body, headers: { 'x-github-event': 'deployment_status' } });
          assert.equal(res.status, 200, res.text);
        }
        await caughtUp(t.url);
        const [first, second] = (await t.service.db.query<{ key: string }>('SELECT key FROM events ORDER BY audit_seq LIMIT 2')).rows;
        const text = await readRaw(t.service.db, first!.key);
        await t.service.db.query('UPDATE events SET raw = $2, raw_z = NULL WHERE key = $1', [first!.key, text]);
        assert.equal(await readRaw(t.service.db, first!.key), text);
        assert.equal((await t.client.verifyAudit()).ok, true);
        // What an export reads: both rows' texts, exactly.
        const exported = await http(`${t.url}/v1/audit/events?from=1&to=2`);
        assert.equal(exported.status, 200, exported.text);
        const texts = (exported.json.events as { key: string; raw: string }[]).map((e) => [e.key, e.raw]);
        assert.deepEqual(texts, [
          [first!.key, text],
          [second!.key, await readRaw(t.service.db, second!.key)],
        ]);

        await assert.rejects(t.service.db.query('UPDATE events SET raw = $2 WHERE key = $1', [second!.key, 'both']), /events_one_raw/);
        await assert.rejects(t.service.db.query('UPDATE events SET raw_z = NULL WHERE key = $1', [second!.key]), /events_one_raw/);
        assert.equal((await t.client.verifyAudit()).ok, true, 'a refused change changed nothing');
      } finally {
        await t.close();
      }
    });

    it('breaks the chain at an entry whose deflated text was changed, or no longer inflates', async () => {
      const t = await startTestService(backend);
      try {
        await t.client.ingest('events', JSON.stringify(syntheticStream('acme/forged', 2)));
        await caughtUp(t.url);
        const victims = (
          await t.service.db.query<{ key: string; audit_seq: number | string }>('SELECT key, audit_seq FROM events ORDER BY audit_seq')
        ).rows;
        const [edited, garbled] = [victims[2]!, victims[5]!];
        await forgeRaw(t.service.db, garbled.key, (raw) => raw);
        assert.equal((await t.client.verifyAudit()).ok, true, 'deflated again, the same text verifies');
        await t.service.db.query('UPDATE events SET raw_z = $2 WHERE key = $1', [garbled.key, Buffer.from('not deflate data at all')]);
        let audit = await t.client.verifyAudit();
        assert.equal(audit.ok, false);
        assert.equal(audit.brokenAt, Number(garbled.audit_seq));
        assert.match(audit.reason ?? '', /no longer matches its hash/);
        await t.service.db.query('UPDATE events SET raw_z = $2 WHERE key = $1', [garbled.key, deflateRawSync(Buffer.from('{}'))]);
        await forgeRaw(t.service.db, edited.key, (raw) => `${raw} `);
        audit = await t.client.verifyAudit();
        assert.equal(audit.ok, false);
        assert.equal(audit.brokenAt, Number(edited.audit_seq), 'the first broken entry');
      } finally {
        await t.close();
      }
    });
  });
}
