/**
 * `npm run bench:plans`: the planner's plan for each query the editor and CLI make, on an embedded
 * store of about 100,000 events (40 repositories, 500 releases each) after ANALYZE: which index
 * serves it. The README ("Query plans") shows them; run this after a migration changes an index.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeNative } from '../src/core/ingest/native';
import { EventWriter } from '../src/server/store/eventWriter';
import { openDatabase } from '../src/server/store/openDatabase';
import { migrate } from '../src/server/store/migrations';
import { loadSigner } from '../src/server/audit/signer';
import { syntheticStream } from '../test/helpers/streams';
import { lineageStatement, servedColumns } from '../src/server/store/queries';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plans-'));
  const db = await openDatabase({ dataDir: join(dir, 'd') });
  await migrate(db);
  const writer = new EventWriter(db, loadSigner(join(dir, 'k.pem'), true).signer, 20_000);
  for (let r = 0; r < 40; r++) {
    const events = syntheticStream(`seed/repo-${r}`, 500).map((e) => {
      const raw = JSON.stringify(e);
      return normalizeNative(JSON.parse(raw), raw);
    });
    for (let i = 0; i < events.length; i += 20_000) await writer.write(events.slice(i, i + 20_000));
  }
  await db.exec('ANALYZE');
  const sample = syntheticStream('seed/repo-0', 500) as any[];
  const commits = sample
    .filter((e) => e.type === 'build')
    .map((e) => e.commit as string)
    .slice(0, 100);
  const digest = sample.find((e) => e.type === 'artifact').digest;
  const plans: [string, string, unknown[]][] = [
    [
      'environments',
      `SELECT e.name, d.id FROM environments e LEFT JOIN LATERAL (SELECT id FROM deployments WHERE repo = e.repo AND environment = e.name AND status = 'success' ORDER BY effective_at DESC, id DESC LIMIT 1) d ON true WHERE e.repo = $1`,
      ['seed/repo-3'],
    ],
    [
      'environments: clock skew',
      `SELECT id FROM deployments WHERE repo = $1 AND effective_at - at > interval '60 seconds' ORDER BY effective_at DESC LIMIT 5`,
      ['seed/repo-3'],
    ],
    [
      'history',
      `SELECT id FROM deployments WHERE repo = $1 AND environment = $2 ORDER BY effective_at DESC, id DESC LIMIT 50`,
      ['seed/repo-3', 'production'],
    ],
    // The statement the service runs, with every table's columns from the catalog.
    ['lineage batch', (await lineageStatement(async (table) => (await servedColumns(db)).get(table)!, true)).sql, ['seed/repo-0', commits]],
    [
      'findings on a path',
      `SELECT f.id FROM findings f WHERE f.repo = $1 AND f.status = 'open' AND EXISTS (SELECT 1 FROM finding_locations l WHERE l.finding_id = f.id AND l.repo = $1 AND l.path = $2) LIMIT 50`,
      ['seed/repo-3', 'src/file1.js'],
    ],
    ['finding by id', `SELECT id FROM findings WHERE id = $1`, ['seed/repo-0-f1']],
    ['artifact by digest', `SELECT digest FROM artifacts WHERE digest = $1`, [digest]],
    ['deployments of an artifact', `SELECT id FROM deployments WHERE artifact_digest = $1`, [digest]],
  ];
  for (const [name, sql, params] of plans) {
    const r = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    console.log(`== ${name}`);
    for (const row of r.rows) console.log(Object.values(row)[0]);
  }
  await db.close();
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
