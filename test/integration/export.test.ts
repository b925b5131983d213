/**
 * `lineage export` and `lineage verify DIR` on both stores: a window of events with its chain
 * entries and the signed checkpoint that ends it, verified offline; an interrupted export resumed;
 * the same window exported again changes nothing; successive windows chain; and any change to an
 * exported file (an event's text, a re-hashed entry, a dropped line, another key) fails `verify`
 * with the file and entry named.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { chainHash, sha256Text } from '../../src/core/audit/chain';
import { runLineage } from '../helpers/cli';
import { syntheticStream } from '../helpers/streams';
import { backends, startTestService, type TestService } from '../helpers/testService';
import { storedText } from '../../src/server/store/storedRaw';

for (const backend of backends()) {
  describe(`export and offline verification (${backend} store)`, function () {
    this.timeout(120_000);
    let t: TestService;
    let scratch: string;
    let cut: string;
    let total: number;

    before(async () => {
      t = await startTestService(backend);
      scratch = mkdtempSync(join(tmpdir(), 'lineage-export-'));
      const stream = syntheticStream('acme/exported', 2);
      const half = Math.floor(stream.length / 2);
      for (let i = 0; i < half; i += 5) await t.client.ingest('events', JSON.stringify(stream.slice(i, Math.min(i + 5, half))));
      // The window's edge: what came before it and what came after.
      await new Promise((r) => setTimeout(r, 50));
      cut = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 50));
      for (let i = half; i < stream.length; i += 5) await t.client.ingest('events', JSON.stringify(stream.slice(i, i + 5)));
      total = (await t.client.auditRange(null, null)).head;
      assert.ok(total > 10, `${total} entries`);
    });
    after(async () => {
      await t?.close();
      rmSync(scratch, { recursive: true, force: true });
    });

    const exportTo = (dir: string, extra: string[] = []) =>
      runLineage(scratch, ['export', '--api', t.url, '--out', dir, '--part-entries', '4', ...extra]);
    const partsOf = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.jsonl.gz'))
        .sort();

    it('exports everything as gzip JSON Lines parts with a signed checkpoint, and verifies it offline', async () => {
      const dir = join(scratch, 'all');
      const r = await exportTo(dir);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        new RegExp(
          `^exported entries 1\\.\\.${total} \\(${total} events, ${Math.ceil(total / 4)} part\\(s\\)\\) to .*; verified: checkpoint ${total} signed by key [0-9a-f]{16}`,
        ),
      );
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      assert.equal(manifest.previousHash, 'genesis');
      assert.equal(manifest.checkpoint.seq, total);
      const lines = partsOf(dir).flatMap((f) =>
        gunzipSync(readFileSync(join(dir, f)))
          .toString('utf8')
          .trim()
          .split('\n'),
      );
      assert.equal(lines.length, total);
      const stored = await t.service.db.query<{ key: string; raw: string | null; raw_z: Uint8Array | null }>(
        'SELECT key, raw, raw_z FROM events ORDER BY audit_seq',
      );
      assert.deepEqual(
        lines.map((l) => JSON.parse(l).raw),
        stored.rows.map((row) => storedText(row)),
        'every raw event, byte for byte, in chain order',
      );
      const verify = await runLineage(scratch, ['verify', dir, '--json']);
      assert.equal(verify.status, 0, verify.stdout + verify.stderr);
      assert.match(verify.json.checks[0].detail, new RegExp(`^entries 1\\.\\.${total} \\(${total} events\\)`));
      // Offline: with no service at all.
      await t.close();
      t = await startTestService(backend, {}, t.store);
      const keyId = manifest.checkpoint.keyId as string;
      assert.equal((await runLineage(scratch, ['verify', dir, '--key', keyId])).status, 0);
      const otherKey = await runLineage(scratch, ['verify', dir, '--key', '0123456789abcdef']);
      assert.equal(otherKey.status, 1);
      assert.match(otherKey.stderr, /signed by [0-9a-f]{16}, not the expected key 0123456789abcdef/);
    });

    it('exports a window, ending at the signed checkpoint after its last entry; the next window chains on', async () => {
      const early = join(scratch, 'early');
      const late = join(scratch, 'late');
      const a = await exportTo(early, ['--until', cut]);
      assert.equal(a.status, 0, a.stdout + a.stderr);
      const b = await exportTo(late, ['--since', cut]);
      assert.equal(b.status, 0, b.stdout + b.stderr);
      const first = JSON.parse(readFileSync(join(early, 'manifest.json'), 'utf8'));
      const second = JSON.parse(readFileSync(join(late, 'manifest.json'), 'utf8'));
      assert.equal(first.from, 1);
      assert.equal(second.to, total);
      assert.equal(
        second.from,
        Number(first.to) + 1,
        'the windows meet: the first ends at its batch checkpoint, the second starts after it',
      );
      assert.equal(second.previousHash, first.checkpoint.hash, 'the second links to the first');
      for (const dir of [early, late]) assert.equal((await runLineage(scratch, ['verify', dir])).status, 0);
      const nothing = await exportTo(join(scratch, 'empty'), ['--since', new Date(Date.now() + 3_600_000).toISOString()]);
      assert.equal(nothing.status, 0);
      assert.match(nothing.stdout, /^nothing was recorded since .*; nothing written/);
    });

    it('resumes an interrupted export, keeping its whole parts; the same window again changes nothing', async () => {
      const dir = join(scratch, 'resumed');
      assert.equal((await exportTo(dir)).status, 0);
      const parts = partsOf(dir);
      const bytes = Object.fromEntries(parts.map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
      const mtimes = Object.fromEntries(parts.map((f) => [f, statSync(join(dir, f)).mtimeMs]));
      // Interrupted: the manifest and the last part never written, a half-written part left behind.
      rmSync(join(dir, 'manifest.json'));
      rmSync(join(dir, parts.at(-1)!));
      writeFileSync(join(dir, parts.at(-2)!), gzipSync('{"seq":'));
      const resumed = await exportTo(dir);
      assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
      assert.match(resumed.stdout, new RegExp(`, ${parts.length - 2} kept from an earlier run\\)`));
      assert.deepEqual(
        Object.fromEntries(partsOf(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')])),
        bytes,
        'the same bytes as the uninterrupted export',
      );
      const again = await exportTo(dir);
      assert.equal(again.status, 0);
      assert.match(again.stdout, /^already exported entries/);
      assert.equal(statSync(join(dir, parts[0]!)).mtimeMs, mtimes[parts[0]!], 'an untouched part is not rewritten');
      const other = await exportTo(dir, ['--since', cut]);
      assert.equal(other.status, 2);
      assert.match(other.stderr, /holds another export \(entries 1\.\./);
    });

    it('fails verify, naming the file and entry, for any change to an exported file', async () => {
      const dir = join(scratch, 'tampered');
      assert.equal((await exportTo(dir)).status, 0);
      const part = partsOf(dir)[1]!;
      const original = readFileSync(join(dir, part));
      const manifestText = readFileSync(join(dir, 'manifest.json'), 'utf8');
      const lines = () => gunzipSync(original).toString('utf8').trim().split('\n');
      const rewrite = (edit: (events: any[]) => any[], fixChecksum: boolean) => {
        const data = gzipSync(
          `${edit(lines().map((l) => JSON.parse(l)))
            .map((e) => JSON.stringify(e))
            .join('\n')}\n`,
        );
        writeFileSync(join(dir, part), data);
        const manifest = JSON.parse(manifestText);
        if (fixChecksum) manifest.parts.find((p: any) => p.file === part).sha256 = createHash('sha256').update(data).digest('hex');
        writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      };
      const expectBroken = async (pattern: RegExp) => {
        const r = await runLineage(scratch, ['verify', dir]);
        assert.equal(r.status, 1, r.stdout);
        assert.match(r.stderr, pattern);
      };
      // A changed byte with the manifest left as it was.
      rewrite((events) => events.map((e, i) => (i === 0 ? { ...e, raw: e.raw.replace('acme', 'evil') } : e)), false);
      await expectBroken(new RegExp(`${part}: its SHA-256 is not the manifest's`));
      // The same change with the manifest's checksum recomputed: the event no longer matches its entry.
      rewrite((events) => events.map((e, i) => (i === 0 ? { ...e, raw: e.raw.replace('acme', 'evil') } : e)), true);
      await expectBroken(new RegExp(`${part}, entry 5: event .* no longer matches its hash`));
      // The event's hash and the entry re-hashed too: the next link breaks.
      rewrite(
        (events) =>
          events.map((e, i) => {
            if (i !== 0) return e;
            const raw = e.raw.replace('acme', 'evil');
            const eventHash = sha256Text(raw);
            return { ...e, raw, eventHash, hash: chainHash(e.prevHash, e.seq, e.key, eventHash) };
          }),
        true,
      );
      await expectBroken(new RegExp(`${part}, entry 6: its previous-hash link does not match`));
      // A dropped line.
      rewrite((events) => events.filter((_, i) => i !== 1), true);
      await expectBroken(new RegExp(`${part}: 3 lines, the manifest says entries 5\\.\\.8`));
      // A missing part.
      writeFileSync(join(dir, 'manifest.json'), manifestText);
      rmSync(join(dir, part));
      await expectBroken(new RegExp(`${part} is missing`));
    });
  });
}
