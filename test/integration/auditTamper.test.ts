/**
 * Someone with access to the store edits what the service answers: a deployment's actor, a
 * reviewer, a forged approval, a deleted finding, a rewritten and re-hashed history, a deleted
 * tail. Each is caught by verification (the service's, `lineage verify`, `lineage evidence`), on
 * both stores; an evidence bundle verifies offline and fails when any byte of it is changed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainHash, genesisHash } from '../../src/core/audit/chain';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';
import { syntheticStream } from '../helpers/streams';
import { backends, http, startTestService, type TestService } from '../helpers/testService';
import { forgeRaw, readRaw } from '../helpers/storedEvents';

const repoSlug = 'acme/audited';

async function seeded(backend: 'embedded' | 'postgres'): Promise<TestService> {
  const t = await startTestService(backend);
  // Several requests, so the chain has several signed checkpoints.
  const stream = syntheticStream(repoSlug, 3);
  for (let i = 0; i < stream.length; i += 7) await t.client.ingest('events', JSON.stringify(stream.slice(i, i + 7)));
  const verified = await t.client.verifyAudit();
  assert.equal(verified.ok, true, verified.reason ?? '');
  return t;
}

async function seqOf(t: TestService, key: string): Promise<number> {
  return Number(
    (await t.service.db.query<{ audit_seq: number | string }>('SELECT audit_seq FROM events WHERE key = $1', [key])).rows[0]!.audit_seq,
  );
}

/** Rewrites the chain from the first entry as someone with the database (not the key) would. */
async function rehashChain(t: TestService): Promise<void> {
  const entries = await t.service.db.query<{ seq: number | string; event_key: string }>(
    'SELECT seq, event_key FROM audit_log ORDER BY seq',
  );
  let prev = genesisHash;
  for (const e of entries.rows) {
    const raw = await readRaw(t.service.db, e.event_key);
    const eventHash = (await import('node:crypto')).createHash('sha256').update(raw).digest('hex');
    const hash = chainHash(prev, Number(e.seq), e.event_key, eventHash);
    await t.service.db.query('UPDATE audit_log SET event_hash = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [
      e.seq,
      eventHash,
      prev,
      hash,
    ]);
    prev = hash;
  }
  await t.service.db.query('UPDATE audit_head SET hash = $1 WHERE id = 1', [prev]);
}

for (const backend of backends()) {
  describe(`tamper-evidence of everything served (${backend} store)`, function () {
    this.timeout(120_000);
    let repo: TestRepo;
    let dir: string;
    before(() => {
      repo = TestRepo.init(repoSlug);
      repo.write('app.js', ['const a = 1;']);
      repo.commit('first');
      dir = mkdtempSync(join(tmpdir(), 'lineage-audit-'));
    });
    after(() => {
      repo.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('catches an edited deployment: the service, lineage verify and lineage evidence all say so', async () => {
      const t = await seeded(backend);
      try {
        const id = `${repoSlug}-production-2`;
        await t.service.db.query(`UPDATE deployments SET actor = 'mallory' WHERE id = $1`, [id]);
        const served = await t.client.deployment(id);
        assert.equal(served.actor, 'mallory', 'the forged value is what the API serves');
        const audit = await t.client.verifyAudit();
        assert.equal(audit.ok, false);
        assert.equal(audit.brokenAt, await seqOf(t, `native:deployment:${repoSlug}-deploy-production-2`));
        assert.equal(audit.reason, `deployments ${id}: actor is "mallory", the events say "ci-bot"`);
        const verify = await runLineage(repo.dir, ['verify', '--api', t.url]);
        assert.equal(verify.status, 1, verify.stdout);
        assert.match(verify.stderr, /^lineage: verification failed: chain: broken at entry \d+: deployments .*actor is "mallory"/);
        const evidence = await runLineage(repo.dir, ['evidence', '--deployment', id, '--api', t.url]);
        assert.equal(evidence.status, 1, evidence.stderr);
        assert.doesNotMatch(evidence.stdout, /intact/);
        assert.match(evidence.stdout, /\*\*Audit log broken\*\* at entry \d+/);
        assert.match(evidence.stderr, /does not verify/);
      } finally {
        await t.close();
      }
    });

    it('catches an edited reviewer, a forged approval and a deleted finding', async () => {
      const t = await seeded(backend);
      try {
        await t.service.db.query(`UPDATE reviews SET reviewer = 'mallory' WHERE repo = $1 AND id = 'r1'`, [repoSlug]);
        let audit = await t.client.verifyAudit();
        assert.equal(audit.ok, false);
        assert.match(audit.reason ?? '', /^reviews acme\/audited r1: reviewer is "mallory", the events say "alice"/);
        await t.service.db.query(`UPDATE reviews SET reviewer = 'alice' WHERE repo = $1 AND id = 'r1'`, [repoSlug]);
        assert.equal((await t.client.verifyAudit()).ok, true, 'restored');

        const rank = (await t.service.db.query<{ rank: string; event_key: string }>('SELECT rank, event_key FROM approvals LIMIT 1'))
          .rows[0]!;
        await t.service.db.query(
          `INSERT INTO approvals (id, repo, deployment_id, environment, approver, state, rank, event_key) VALUES ('forged', $1, $2, 'production', 'mallory', 'approved', $3, $4)`,
          [repoSlug, `${repoSlug}-production-3`, rank.rank, rank.event_key],
        );
        audit = await t.client.verifyAudit();
        assert.equal(audit.ok, false);
        assert.match(audit.reason ?? '', /^approvals forged: no stored event yields this row/);
        await t.service.db.query(`DELETE FROM approvals WHERE id = 'forged'`);

        await t.service.db.query('DELETE FROM finding_locations WHERE finding_id = $1', [`${repoSlug}-f2`]);
        await t.service.db.query('DELETE FROM findings WHERE id = $1', [`${repoSlug}-f2`]);
        audit = await t.client.verifyAudit();
        assert.equal(audit.ok, false);
        assert.match(audit.reason ?? '', /^findings acme\/audited-f2: the events yield this row, but the store no longer has it/);
        assert.equal(audit.brokenAt, await seqOf(t, `native:finding:${repoSlug}-finding-2`));
      } finally {
        await t.close();
      }
    });

    it('catches a history rewritten and re-hashed, with or without its checkpoints', async () => {
      const t = await seeded(backend);
      try {
        const key = `native:deployment:${repoSlug}-deploy-production-1`;
        const seq = await seqOf(t, key);
        await forgeRaw(t.service.db, key, (raw) => raw.replaceAll('ci-bot', 'mallory'));
        await t.service.db.query(`UPDATE deployments SET actor = 'mallory' WHERE id = $1`, [`${repoSlug}-production-1`]);
        await rehashChain(t);
        let audit = await t.client.verifyAudit();
        assert.equal(audit.ok, false);
        assert.match(audit.reason ?? '', /^signed checkpoint \d+ does not match the chain: the history was rewritten$/);
        assert.ok(audit.brokenAt! >= seq);
        await t.service.db.query('DELETE FROM audit_checkpoints');
        audit = await t.client.verifyAudit();
        assert.equal(audit.ok, false);
        assert.match(audit.reason ?? '', /^entries 1 to \d+ have no signed checkpoint/);
      } finally {
        await t.close();
      }
    });

    it('catches a deleted tail against a checkpoint kept from before', async () => {
      const t = await seeded(backend);
      try {
        const saved = join(dir, `checkpoint-${backend}.json`);
        const keep = await runLineage(repo.dir, ['verify', '--api', t.url, '--save-checkpoint', saved]);
        assert.equal(keep.status, 0, keep.stderr);
        assert.match(keep.stdout, /✔ checkpoint: entry \d+ signed by key [0-9a-f]{16}/);
        const kept = JSON.parse(readFileSync(saved, 'utf8'));
        // The newest event (the rollback), its entry, its checkpoint and its row, all deleted.
        const last = kept.seq as number;
        const victim = (await t.service.db.query<{ event_key: string }>('SELECT event_key FROM audit_log WHERE seq = $1', [last])).rows[0]!
          .event_key;
        await t.service.db.query('DELETE FROM deployments WHERE event_key = $1', [victim]);
        await t.service.db.query('DELETE FROM events WHERE key = $1', [victim]);
        await t.service.db.query('DELETE FROM audit_log WHERE seq = $1', [last]);
        await t.service.db.query('DELETE FROM audit_checkpoints WHERE seq >= $1', [last]);
        const prev = (await t.service.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [last - 1])).rows[0]!.hash;
        await t.service.db.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [last - 1, prev]);
        // The previous checkpoint was taken at the end of the previous request: re-sign nothing, just stop there.
        await t.service.db.query('DELETE FROM audit_checkpoints WHERE seq > $1', [last - 1]);
        const self = await t.client.verifyAudit();
        const against = await runLineage(repo.dir, ['verify', '--api', t.url, '--checkpoint', saved]);
        assert.equal(against.status, 1, against.stdout);
        assert.match(against.stdout, /✘ (earlier checkpoint|chain): /);
        if (self.ok)
          assert.match(
            against.stderr,
            /earlier checkpoint: the chain ends at entry \d+, before the checkpoint's entry \d+: entries were deleted/,
          );
      } finally {
        await t.close();
      }
    });

    it('writes an evidence bundle that verifies offline, and fails when any part of it is changed', async () => {
      const t = await seeded(backend);
      try {
        const file = join(dir, `bundle-${backend}.json`);
        const r = await runLineage(repo.dir, [
          'evidence',
          '--deployment',
          `${repoSlug}-production-2`,
          '--json',
          '--bundle',
          file,
          '--api',
          t.url,
          '--repo',
          repoSlug,
        ]);
        assert.equal(r.status, 0, r.stderr);
        const keyId = (await t.client.checkpoint()).keyId;
        await t.close();
        // No service from here on.
        const ok = await runLineage(repo.dir, ['verify', file, '--key', keyId, '--json']);
        assert.equal(ok.status, 0, ok.stdout + ok.stderr);
        assert.equal(ok.json.ok, true);
        const bundle = JSON.parse(readFileSync(file, 'utf8'));
        assert.ok(bundle.events.length >= 4, 'pull request, review, build, artifact, deployment, approval events');
        const tampered = (change: (b: any) => void) => {
          const copy = JSON.parse(JSON.stringify(bundle));
          change(copy);
          const out = join(dir, `tampered-${backend}.json`);
          writeFileSync(out, JSON.stringify(copy));
          return runLineage(repo.dir, ['verify', out]);
        };
        const deployment = bundle.events.findIndex((e: any) => e.key.startsWith('native:deployment:'));
        let bad = await tampered((b) => (b.events[deployment].raw = b.events[deployment].raw.replace('ci-bot', 'mallory')));
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /does not match the hash in entry \d+/);
        bad = await tampered((b) => {
          const s = b.segments[0].checkpoint.signature;
          b.segments[0].checkpoint.signature = `${s[0] === 'A' ? 'B' : 'A'}${String(s.slice(1))}`;
        });
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /signature on checkpoint \d+ does not verify/);
        bad = await tampered((b) => (b.evidence.items.find((i: any) => i.kind === 'approval').id = 'forged-approval'));
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /approval forged-approval: its event .* does not record it/);
        const wrongKey = await runLineage(repo.dir, ['verify', file, '--key', '0000000000000000']);
        assert.equal(wrongKey.status, 1);
        writeFileSync(join(dir, 'not-a-bundle.json'), '{"kind":"x"}');
        const notBundle = await runLineage(repo.dir, ['verify', join(dir, 'not-a-bundle.json')]);
        assert.equal(notBundle.status, 2);
        assert.match(notBundle.stderr, /is not an evidence bundle/);
      } finally {
        await t.close().catch(() => undefined);
      }
    });

    it('serves the latest signed checkpoint and refuses bad entry ranges', async () => {
      const t = await seeded(backend);
      try {
        const cp = await http(`${t.url}/v1/audit/checkpoint`);
        assert.equal(cp.status, 200);
        assert.equal(cp.json.seq, (await t.client.health()).events);
        assert.equal((await http(`${t.url}/v1/audit/entries?from=5&to=1`)).status, 400);
        assert.equal((await http(`${t.url}/v1/audit/entries?from=1&to=20000`)).status, 400);
        assert.equal((await http(`${t.url}/v1/audit/checkpoint?covering=abc`)).status, 400);
        assert.equal((await http(`${t.url}/v1/audit/checkpoint?covering=99999`)).status, 404);
      } finally {
        await t.close();
      }
    });
  });
}
