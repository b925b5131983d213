/**
 * Retention on both stores: facts older than the window leave the hot tables only after their
 * export was written and verified; rows that belong with newer ones stay; the chain stays
 * verifiable across the cut (the export holds the entries before it, the store a signed cut and
 * the kept rows' state at it); a second cut chains on the first; retention refuses to drop what
 * was not exported (a directory holding something else, an export that does not verify); and a
 * changed base row or cut is caught by verification.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyExport } from '../../src/core/audit/exportArchive';
import { retain } from '../../src/server/audit/retention';
import { loadSigner } from '../../src/server/audit/signer';
import { spawn } from 'node:child_process';
import { runLineage } from '../helpers/cli';
import { listeningUrl } from '../helpers/serveProcess';
import { backends, startTestService, type TestService } from '../helpers/testService';

const repo = 'acme/retained';
const sha = (n: number) => n.toString(16).padStart(40, 'c');
const at = (day: number) => `2026-0${day < 10 ? 1 : 2}-${String((day % 28) + 1).padStart(2, '0')}T10:00:00Z`;

/** The old history: two deployments, a pull request with a review, a finding and a build. */
const older = [
  {
    type: 'deployment',
    id: 'e-d1',
    repo,
    deploymentId: 'd1',
    environment: 'staging',
    commit: sha(1),
    at: at(1),
    status: 'success',
    kind: 'deploy',
  },
  {
    type: 'deployment',
    id: 'e-d2',
    repo,
    deploymentId: 'd2',
    environment: 'production',
    commit: sha(1),
    at: at(2),
    status: 'success',
    kind: 'deploy',
  },
  {
    type: 'pull_request',
    id: 'e-pr1',
    repo,
    number: 1,
    title: 'One',
    author: 'bob',
    state: 'merged',
    headSha: sha(1),
    mergeCommit: sha(2),
    mergedAt: at(1),
    updatedAt: at(1),
  },
  { type: 'review', id: 'e-r1', repo, reviewId: 'r1', pullRequest: 1, reviewer: 'alice', state: 'approved', commit: sha(1), at: at(1) },
  {
    type: 'pull_request',
    id: 'e-pr2',
    repo,
    number: 2,
    title: 'Two',
    author: 'bob',
    state: 'merged',
    headSha: sha(3),
    mergeCommit: sha(4),
    mergedAt: at(2),
    updatedAt: at(2),
  },
  {
    type: 'build',
    id: 'e-b1',
    repo,
    buildId: 'b1',
    commit: sha(1),
    status: 'completed',
    conclusion: 'success',
    startedAt: at(1),
    finishedAt: at(1),
  },
  {
    type: 'finding',
    id: 'e-f1',
    repo,
    findingId: 'f1',
    kind: 'error',
    severity: 'high',
    title: 'Old crash',
    status: 'open',
    commit: sha(1),
    locations: [{ path: 'a.js', line: 3, revision: sha(1) }],
  },
];
/** The newer history: an approval of d2 and a review of #1 (so both stay, with their older parts), a new deployment. */
const newer = [
  {
    type: 'approval',
    id: 'e-a2',
    repo,
    approvalId: 'a2',
    deploymentId: 'd2',
    environment: 'production',
    approver: 'carol',
    state: 'approved',
    at: at(5),
  },
  { type: 'review', id: 'e-r2', repo, reviewId: 'r2', pullRequest: 1, reviewer: 'dave', state: 'approved', commit: sha(1), at: at(5) },
  {
    type: 'deployment',
    id: 'e-d3',
    repo,
    deploymentId: 'd3',
    environment: 'staging',
    commit: sha(4),
    at: at(6),
    status: 'success',
    kind: 'deploy',
  },
];

for (const backend of backends()) {
  describe(`retention (${backend} store)`, function () {
    this.timeout(120_000);
    let t: TestService;
    let scratch: string;
    let between: Date;
    let later: Date;

    const signer = () => loadSigner(t.store.signingKey ?? join(t.store.dataDir!, 'signing-key.pem'), false).signer;
    const count = async (table: string) =>
      Number((await t.service.db.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    const ids = async (table: string, column: string) =>
      (await t.service.db.query(`SELECT ${column} AS v FROM ${table} ORDER BY 1`)).rows.map((r) => String(r.v));

    const chained = async (n: number) => {
      for (let i = 0; i < 200 && (await t.client.auditRange(null, null)).head < n; i++) await new Promise((r) => setTimeout(r, 25));
    };

    before(async () => {
      t = await startTestService(backend);
      scratch = mkdtempSync(join(tmpdir(), 'lineage-retention-'));
      for (let i = 0; i < older.length; i += 3) await t.client.ingest('events', JSON.stringify(older.slice(i, i + 3)));
      // The embedded store acknowledges from its intake journal and chains a moment later: wait for the chain.
      await chained(older.length);
      await new Promise((r) => setTimeout(r, 30));
      between = new Date();
      await new Promise((r) => setTimeout(r, 30));
      await t.client.ingest('events', JSON.stringify(newer));
      await chained(older.length + newer.length);
      later = new Date(Date.now() + 1000);
    });
    after(async () => {
      await t?.close();
      rmSync(scratch, { recursive: true, force: true });
    });

    it('refuses to drop what was not exported: a directory holding something else, nothing removed', async () => {
      const archive = join(scratch, 'refused');
      const head = (await t.client.auditRange(null, null)).head;
      const events = await count('events');
      // The cut's directory is taken by something that is not its export.
      for (const to of [1, 2, 3, 4, 5, 6, 7]) {
        const dir = join(archive, `entries-${'1'.padStart(12, '0')}-${String(to).padStart(12, '0')}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'manifest.json'), '{"not": "an export"}');
      }
      const r = await retain(t.service.db, signer(), { windowMs: Date.now() - between.getTime(), archiveDir: archive });
      assert.equal(r.cut, null);
      assert.match(r.reason ?? '', /holds another export.*nothing was removed|failed: .*nothing was removed/);
      assert.equal(await count('events'), events, 'nothing removed');
      assert.equal((await t.client.auditRange(null, null)).head, head);
    });

    it('moves out what is older than the window after its export verified, keeping what belongs with newer rows', async () => {
      const archive = join(scratch, 'archive');
      // An auditor kept a checkpoint from before the cut.
      const kept = join(scratch, 'kept-checkpoint.json');
      writeFileSync(kept, JSON.stringify(await t.client.checkpoint(1)));
      const r = await retain(t.service.db, signer(), { windowMs: 0, now: between, archiveDir: archive });
      assert.equal(r.reason, null);
      assert.ok(r.cut! >= older.length, `cut at ${r.cut}`);
      const exported = verifyExport(r.exported!, signer().keyId);
      assert.equal(exported.ok, true, exported.problem ?? '');
      assert.deepEqual([exported.from, exported.to], [1, r.cut]);
      assert.equal((await runLineage(scratch, ['verify', r.exported!])).status, 0, 'the export verifies offline');
      // Gone: what only the old events made.
      assert.deepEqual(await ids('deployments', 'id'), ['d2', 'd3'], 'd1 gone; d2 stays with its newer approval');
      assert.deepEqual(await ids('pull_requests', 'number'), ['1'], '#2 gone; #1 stays with its newer review');
      assert.deepEqual(await ids('reviews', 'id'), ['r1', 'r2'], "#1's older review stays with it");
      assert.deepEqual(await ids('builds', 'id'), []);
      assert.deepEqual(await ids('findings', 'id'), []);
      assert.equal(await count('finding_locations'), 0);
      // The history before the cut left the store; the chain starts after it.
      const range = await t.client.auditRange(null, null);
      assert.equal(range.from, r.cut! + 1);
      assert.equal(Number((await t.service.db.query<{ n: string }>('SELECT min(audit_seq) AS n FROM events')).rows[0]!.n), r.cut! + 1);
      // Still verifiable: the service re-derives what it serves from the cut's base and the newer events.
      const verified = await t.client.verifyAudit();
      assert.equal(verified.ok, true, verified.reason ?? '');
      assert.equal((await runLineage(scratch, ['verify', '--api', t.url])).status, 0);
      const against = await runLineage(scratch, ['verify', '--api', t.url, '--checkpoint', kept]);
      assert.equal(against.status, 0, against.stdout + against.stderr);
      assert.match(
        against.stdout,
        /earlier checkpoint: entry \d+ was moved out by retention .*check it with "lineage verify" on the export that holds it/,
      );
      // What is served is what it was: d2 with its approval.
      const production = (await t.client.deployments(repo, 'production')).deployments;
      assert.deepEqual(
        production.map((d) => [d.id, d.approvals.map((a) => a.approver)]),
        [['d2', ['carol']]],
      );
    });

    it('a second cut chains on the first; the exports make one chain', async () => {
      const archive = join(scratch, 'archive');
      const first = await t.service.db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_cut');
      const r = await retain(t.service.db, signer(), { windowMs: 0, now: later, archiveDir: archive });
      assert.equal(r.reason, null);
      const second = verifyExport(r.exported!, signer().keyId);
      assert.equal(second.ok, true, second.problem ?? '');
      assert.equal(second.from, Number(first.rows[0]!.seq) + 1);
      const manifest = JSON.parse((await import('node:fs')).readFileSync(join(r.exported!, 'manifest.json'), 'utf8'));
      assert.equal(manifest.previousHash, first.rows[0]!.hash, 'links to the first cut');
      assert.deepEqual(await ids('deployments', 'id'), [], 'everything is older now');
      assert.equal(await count('events'), 0);
      const verified = await t.client.verifyAudit();
      assert.equal(verified.ok, true, verified.reason ?? '');
      // New events chain on after the cut.
      await t.client.ingest('events', JSON.stringify([{ ...newer[2], id: 'e-d4', deploymentId: 'd4', at: at(9) }]));
      const again = await t.client.verifyAudit();
      assert.equal(again.ok, true, again.reason ?? '');
    });

    it('catches a changed base row or a moved cut', async () => {
      await t.close();
      t = await startTestService(backend, {}, t.store);
      // A fresh cut with a kept row: ingest an old-and-new pair again.
      const head = (await t.client.auditRange(null, null)).head;
      await t.client.ingest('events', JSON.stringify([{ ...older[1], id: 'e-d9', deploymentId: 'd9', at: at(10) }]));
      await chained(head + 1);
      const mid = new Date();
      await new Promise((r) => setTimeout(r, 30));
      await t.client.ingest('events', JSON.stringify([{ ...newer[0], id: 'e-a9', approvalId: 'a9', deploymentId: 'd9', at: at(11) }]));
      const r = await retain(t.service.db, signer(), {
        windowMs: 0,
        now: new Date(mid.getTime() + 10),
        archiveDir: join(scratch, 'archive'),
      });
      assert.equal(r.reason, null);
      assert.equal((await t.client.verifyAudit()).ok, true);
      await t.service.db.query(`UPDATE retained_base SET row_json = replace(row_json, 'production', 'prod') WHERE tbl = 'deployments'`);
      const edited = await t.client.verifyAudit();
      assert.equal(edited.ok, false);
      assert.match(edited.reason ?? '', /rows kept at the retention cut .* are not the ones it signed/);
      await t.service.db.query(`UPDATE retained_base SET row_json = replace(row_json, '"prod"', '"production"') WHERE tbl = 'deployments'`);
      assert.equal((await t.client.verifyAudit()).ok, true);
      await t.service.db.query('UPDATE audit_cut SET seq = seq - 1');
      const moved = await t.client.verifyAudit();
      assert.equal(moved.ok, false);
      assert.match(moved.reason ?? '', /signature on the retention cut .* does not verify/);
    });
  });
}

describe('lineage serve --retain', function () {
  this.timeout(120_000);
  const cli = join(__dirname, '../../dist/cli.js');

  it('needs an archive, and a duration it understands', async () => {
    const alone = await runLineage(tmpdir(), ['serve', '--retain', '400d', '--port', '0']);
    assert.equal(alone.status, 2);
    assert.match(
      alone.stderr,
      /^lineage: --retain needs --archive DIR: facts leave the store only after their export there was written and verified/,
    );
    const odd = await runLineage(tmpdir(), ['serve', '--retain', '400 days', '--archive', tmpdir(), '--port', '0']);
    assert.equal(odd.status, 2);
    assert.match(odd.stderr, /--retain must be a duration such as 400d, 12h, 30m or 90s, got "400 days"/);
  });

  it('moves out what is older than the window at start, after exporting and verifying it', async () => {
    const t = await startTestService('embedded');
    const dataDir = t.store.dataDir!;
    await t.client.ingest('events', JSON.stringify(older));
    for (let i = 0; i < 200 && (await t.client.auditRange(null, null)).head < older.length; i++)
      await new Promise((r) => setTimeout(r, 25));
    await t.close();
    await new Promise((r) => setTimeout(r, 1100));
    const archive = mkdtempSync(join(tmpdir(), 'lineage-archive-'));
    const child = spawn(process.execPath, [cli, 'serve', '--data', dataDir, '--port', '0', '--retain', '1s', '--archive', archive]);
    try {
      let said = '';
      child.stderr.on('data', (c: Buffer) => (said += c.toString()));
      await listeningUrl(child);
      for (let i = 0; i < 400 && !/retention: /.test(said); i++) await new Promise((r) => setTimeout(r, 25));
      assert.match(
        said,
        new RegExp(
          `retention: entries up to ${older.length} exported to ${archive}/entries-000000000001-0+${older.length}, verified, and moved out \\(`,
        ),
      );
      assert.equal(
        (await runLineage(tmpdir(), ['verify', join(archive, `entries-000000000001-${String(older.length).padStart(12, '0')}`)])).status,
        0,
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(archive, { recursive: true, force: true });
    }
  });
});
