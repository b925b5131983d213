/**
 * Attestation signatures through the real service: recorded public bundles verified against the
 * recorded public-good root, forgeries (an edited payload, an untrusted key, a stripped signature)
 * stored as what they are, the verdicts covered by audit verification, and `lineage check`
 * blocking a production deployment whose provenance signature fails, on a real repository.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLineage } from '../helpers/cli';
import { editPayload, makeKey, signEnvelope, slsaStatement, statementOf, type TestKey } from '../helpers/dsse';
import { TestRepo } from '../helpers/gitRepo';
import { backends, fixturesDir, startTestService, type TestService } from '../helpers/testService';

const root = join(fixturesDir(), 'sigstore/public-good-trusted-root.json');
const npmKey = `SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA=${join(fixturesDir(), 'sigstore/npm-registry-key-jl3bwswu.pem')}`;
const fixture = (name: string) => readFileSync(join(fixturesDir(), 'intoto', name), 'utf8');

/** The container-based bundle with its subject digest changed after signing. */
function editedBundle(): { text: string; digest: string } {
  const bundle: unknown = JSON.parse(fixture('sigstore-bundle-v02-slsa-v1-container-based.json'));
  const edited = editPayload(bundle, (statement) => (statement.subject[0].digest.sha256 = 'ef'.repeat(32)));
  return { text: JSON.stringify(edited), digest: `sha256:${'ef'.repeat(32)}` };
}

for (const backend of backends()) {
  describe(`attestation signatures through the service (${backend} store)`, function () {
    this.timeout(120_000);
    let dir: string;
    let ours: TestKey;
    let theirs: TestKey;
    let t: TestService;
    const repos: TestRepo[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lineage-attest-'));
      ours = makeKey(dir, 'release');
      theirs = makeKey(dir, 'mallory');
      t = await startTestService(backend, { trustedRoot: root, trustedKeys: [npmKey, ours.pemFile] });
    });
    after(async () => {
      await t?.close();
      for (const r of repos) r.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('stores each verdict with the signer, keeps a forged copy apart, and verification re-derives them', async () => {
      await t.client.ingest('attestations', fixture('github-attestation-bundle-slsa-v1-bcr.intoto.jsonl'));
      await t.client.ingest('attestations', fixture('npm-attestations-gundam-visor.json'));
      const edited = editedBundle();
      await t.client.ingest('attestations', edited.text);

      const bcr = statementOf(JSON.parse(fixture('github-attestation-bundle-slsa-v1-bcr.intoto.jsonl')));
      const bcrDigest = `sha256:${bcr.subject[0].digest.sha256}`;
      const [genuine] = (await t.client.artifact(bcrDigest)).attestations;
      assert.equal(genuine?.signature, 'verified', genuine?.signatureDetail ?? '');
      assert.match(genuine.signer!, /bazel-contrib\/publish-to-bcr\/\.github\/workflows\/publish\.yaml@refs\/tags\/v0\.0\.1/);

      const npmStatement = statementOf(JSON.parse(fixture('npm-attestations-gundam-visor.json')).attestations[0].bundle);
      const npm = await t.client.artifact(`sha512:${npmStatement.subject[0].digest.sha512}`);
      assert.deepEqual(npm.attestations.map((a) => a.signature).sort(), ['verified', 'verified']);

      const forged = (await t.client.artifact(edited.digest)).attestations;
      assert.equal(forged.length, 1);
      assert.equal(forged[0]!.signature, 'failed');
      assert.match(forged[0]!.signatureDetail!, /TLOG_BODY_ERROR|SIGNATURE_ERROR/);

      // The same statement unsigned is another attestation; the signed one stays verified.
      await t.client.ingest('attestations', JSON.stringify(bcr));
      const both = (await t.client.artifact(bcrDigest)).attestations;
      assert.deepEqual(both.map((a) => a.signature).sort(), ['unsigned', 'verified']);

      assert.equal((await t.client.verifyAudit()).ok, true);
    });

    it('blocks a production deployment whose provenance is signed by a key the service does not trust', async () => {
      const repo = TestRepo.init('acme/signed');
      repos.push(repo);
      repo.write('app.js', ['const a = 1;']);
      repo.commit('feat: initial');
      repo.git(['checkout', '-q', '-b', 'feature']);
      repo.write('app.js', ['const a = 2;']);
      const first = repo.commit('feat: two (PAY-1)');
      repo.write('app.js', ['const a = 3;']);
      const second = repo.commit('feat: three (PAY-2)');
      const made = new Date(Date.now() + 60_000).toISOString();
      const good = signEnvelope(slsaStatement('a1'.repeat(32), 'acme/signed', first, made), ours);
      const bad = signEnvelope(slsaStatement('b2'.repeat(32), 'acme/signed', second, made), theirs);
      await t.client.ingest('attestations', JSON.stringify(good));
      await t.client.ingest('attestations', JSON.stringify(bad));
      const at = (s: number) => new Date(Date.now() + 120_000 + s * 1000).toISOString();
      await t.client.ingest(
        'events',
        JSON.stringify(
          [
            ['p1', first, 'a1', 1],
            ['p2', second, 'b2', 2],
          ].map(([id, commit, hex, s]) => ({
            type: 'deployment',
            id: `sig-${id as string}`,
            repo: 'acme/signed',
            deploymentId: id,
            environment: 'production',
            commit,
            artifact: `sha256:${(hex as string).repeat(32)}`,
            at: at(s as number),
            actor: 'ci',
          })),
        ),
      );
      const r = await runLineage(repo.dir, ['check', '--base', 'main', '--json', '--api', t.url]);
      const broken = r.json.violations.filter((v: any) => v.rule === 'broken-attestation');
      assert.deepEqual(
        broken.map((v: any) => [v.evidence.deployment, v.evidence.problem]),
        [['p2', 'bad-signature']],
        r.stdout,
      );
      assert.match(broken[0].evidence.detail, /not a trusted key/);
      assert.equal(broken[0].severity, 'blocking');
      assert.equal(r.status, 1);
    });

    it('will not vouch for verdicts reached under other trust than the service now has', async () => {
      const store = t.store;
      await t.close();
      t = await startTestService(backend, {}, store);
      const v = await t.client.verifyAudit();
      assert.equal(v.ok, false);
      assert.match(
        JSON.stringify(v),
        /its signature was judged under trust \\"[0-9a-f]{16}\\", and this service now has no trusted root or key/,
      );
    });
  });
}

describe('lineage serve with trust that cannot be read', () => {
  it('refuses to start, naming the file and what is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lineage-trust-'));
    try {
      const r = await runLineage(dir, ['serve', '--port', '0', '--data', join(dir, 'data'), '--trusted-root', join(dir, 'nope.json')]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /cannot read the trusted root .*nope\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
