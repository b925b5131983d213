/**
 * What the intake learns from the store when the service starts: every stored event's key (a
 * redelivery is then answered "duplicate", not acknowledged again) and the repository of every id
 * a sender chose (another repository's claim on it goes the exact way and is refused). Both are read
 * a page at a time; here the pages hold three, so every boundary of a page is crossed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NormalizedEvent } from '../../src/core/ingest/facts';
import { normalizeNative } from '../../src/core/ingest/native';
import { loadSigner } from '../../src/server/audit/signer';
import type { Database } from '../../src/server/store/database';
import { EventWriter } from '../../src/server/store/eventWriter';
import { OwnershipConflict } from '../../src/server/store/factWriter';
import { JournaledWriter } from '../../src/server/store/journaledWriter';
import { migrate } from '../../src/server/store/migrations';
import { openDatabase } from '../../src/server/store/openDatabase';

const page = 3;

function deployment(repo: string, id: number): NormalizedEvent {
  const raw = JSON.stringify({
    type: 'deployment',
    id: `start-${repo}-${id}`,
    repo,
    deploymentId: `d-${id}`,
    environment: 'production',
    commit: (repo === 'acme/a' ? 'a' : 'b').repeat(40),
    at: new Date(Date.UTC(2026, 2, 2, 10) + id * 1000).toISOString(),
  });
  return normalizeNative(JSON.parse(raw), raw);
}

describe('what the intake learns from the store at start (embedded store)', function () {
  this.timeout(60_000);
  let dir: string;
  let db: Database;
  let writer: JournaledWriter;

  const open = async () => {
    db = await openDatabase({ dataDir: join(dir, 'store') });
    await migrate(db);
    const { signer } = loadSigner(join(dir, 'signing-key.pem'), true);
    writer = await JournaledWriter.open(
      new EventWriter(db, signer),
      db,
      join(dir, 'intake'),
      signer.secretFor('intake journal'),
      () => undefined,
      page,
    );
  };
  const close = async () => {
    await writer.close();
    await db.close();
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lineage-intake-start-'));
    await open();
  });
  after(async () => {
    await close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  // Seven and six: pages of three, one ending short and one ending exactly full.
  for (const count of [7, 6]) {
    it(`knows all ${count} stored keys and ids again, across pages of ${page}`, async () => {
      const repo = count === 7 ? 'acme/a' : 'acme/c';
      const events = Array.from({ length: count }, (_, i) => deployment(repo, 100 * count + i));
      for (const e of events) assert.equal((await writer.write([e]))[0]!.status, 'stored');
      await close();
      await open();
      // The claims first: a redelivery's exact path would teach the owners again.
      for (let i = 0; i < count; i++) {
        const claim = deployment('acme/b', 100 * count + i);
        await assert.rejects(writer.write([claim]), (e: unknown) => OwnershipConflict.is(e), `d-${100 * count + i} taken by acme/b`);
      }
      for (const e of events) assert.equal((await writer.write([e]))[0]!.status, 'duplicate', e.key);
      assert.equal((await writer.write([deployment(repo, 999 - count)]))[0]!.status, 'stored');
    });
  }
});
