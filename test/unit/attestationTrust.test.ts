/**
 * Attestation signatures verified against user-supplied trust: recorded public Sigstore bundles
 * against the recorded public-good trusted root, envelopes signed with locally generated keys, and
 * the forgeries a store writer could try (edited payload, untrusted key, stripped signature, a
 * genuine certificate over another repository's or commit's provenance).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAttestationTrust, noTrust, TrustConfigError, type AttestationTrust } from '../../src/core/ingest/attestationTrust';
import type { AttestationFact } from '../../src/core/ingest/facts';
import { normalizeInToto } from '../../src/core/ingest/intoto';
import type { Json } from '../../src/core/ingest/values';
import { editPayload, keyBundle, makeKey, signEnvelope, slsaStatement, type TestKey } from '../helpers/dsse';

const fixtures = join(__dirname, '../fixtures');
const root = join(fixtures, 'sigstore/public-good-trusted-root.json');
// npm names its key by an id of its own, not one derived from the key.
const npmKey = `SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA=${join(fixtures, 'sigstore/npm-registry-key-jl3bwswu.pem')}`;
const json = (file: string): Json => JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as Json;
const recorded = {
  npm: () => json('intoto/npm-attestations-gundam-visor.json'),
  bcr: () => JSON.parse(readFileSync(join(fixtures, 'intoto/github-attestation-bundle-slsa-v1-bcr.intoto.jsonl'), 'utf8').trim()) as Json,
  containerBased: () => json('intoto/sigstore-bundle-v02-slsa-v1-container-based.json'),
  bareDsse: () => JSON.parse(readFileSync(join(fixtures, 'intoto/dsse-slsa-v02-gha-generic.intoto.jsonl'), 'utf8').trim()) as Json,
};

function rows(doc: Json, trust: AttestationTrust): AttestationFact['row'][] {
  return normalizeInToto(doc, JSON.stringify(doc), trust).facts.flatMap((f) =>
    f.table === 'attestations' ? [(f as AttestationFact).row] : [],
  );
}

describe('attestation signatures', () => {
  const publicGood = loadAttestationTrust({ trustedRoot: root, keys: [npmKey] });

  it('verifies recorded public bundles against the public-good root, naming the workflow that signed', () => {
    const bcr = rows(recorded.bcr(), publicGood)[0]!;
    assert.equal(bcr.signature, 'verified', bcr.signature_detail ?? '');
    assert.match(
      bcr.signer!,
      /^https:\/\/github\.com\/bazel-contrib\/publish-to-bcr\/\.github\/workflows\/publish\.yaml@refs\/tags\/v0\.0\.1 \(https:\/\/token\.actions\.githubusercontent\.com\)$/,
    );
    // The certificate's own claim, checked against the provenance: aspect-build/rules_lint at 8f70009f.
    assert.match(bcr.signature_detail!, /issued to a run of https:\/\/github\.com\/aspect-build\/rules_lint@8f70009fde0c/);
    assert.equal(bcr.signature_trust, publicGood.id);

    const container = rows(recorded.containerBased(), publicGood)[0]!;
    assert.equal(container.signature, 'verified', container.signature_detail ?? '');
    assert.match(container.signer!, /slsa-github-generator\/\.github\/workflows\/builder_container-based_slsa3\.yml@refs\/tags\/v2\.1\.0/);

    const npm = rows(recorded.npm(), publicGood);
    assert.deepEqual(
      npm.map((r) => [r.predicate_type, r.signature]),
      [
        ['https://github.com/npm/attestation/tree/main/specs/publish/v0.1', 'verified'],
        ['https://slsa.dev/provenance/v1', 'verified'],
      ],
    );
    // The publish attestation is signed by npm's registry key, named as the bundle names it.
    assert.equal(npm[0]!.signer, 'key SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA');
  });

  it('fails an edited payload, and a key-signed bundle whose key is not trusted', () => {
    const edited = editPayload(recorded.containerBased(), (s) => (s.subject[0].digest.sha256 = 'ab'.repeat(32)));
    const row = rows(edited, publicGood)[0]!;
    assert.equal(row.subject_digest, `sha256:${'ab'.repeat(32)}`);
    assert.equal(row.signature, 'failed');
    assert.match(row.signature_detail!, /TLOG_BODY_ERROR|SIGNATURE_ERROR/);

    const rootOnly = loadAttestationTrust({ trustedRoot: root });
    const publish = rows(recorded.npm(), rootOnly)[0]!;
    assert.equal(publish.signature, 'failed');
    assert.match(
      publish.signature_detail!,
      /signed by key "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA", which is not a trusted key/,
    );
  });

  it("fails a genuine certificate over another commit's or repository's provenance", () => {
    const bundle = recorded.bcr();
    const trust = publicGood;
    const signed = { bundle };
    const otherCommit = trust.check(signed, { repoUri: 'git+https://github.com/aspect-build/rules_lint', commit: 'f'.repeat(40) });
    assert.equal(otherCommit.state, 'failed');
    assert.match(otherCommit.detail!, /issued to a run at commit 8f70009fde0c94ade6ce2a054b94718c819126ec, but the provenance names f{40}/);
    const otherRepo = trust.check(signed, { repoUri: 'git+https://github.com/acme/payments@refs/heads/main', commit: null });
    assert.equal(otherRepo.state, 'failed');
    assert.match(
      otherRepo.detail!,
      /issued to a run of https:\/\/github\.com\/aspect-build\/rules_lint, but the provenance names git\+https:\/\/github\.com\/acme\/payments/,
    );
    const same = trust.check(signed, {
      repoUri: 'git+https://github.com/Aspect-Build/rules_lint.git@refs/tags/v1',
      commit: '8F70009FDE0C94ADE6CE2A054B94718C819126EC',
    });
    assert.equal(same.state, 'verified', same.detail ?? '');
  });

  it('never calls a signature verified without trust, and keeps unsigned statements unsigned', () => {
    for (const doc of [recorded.bcr(), recorded.bareDsse()]) {
      const row = rows(doc, noTrust)[0]!;
      assert.equal(row.signature, 'unverified');
      assert.equal(row.signer, null);
      assert.equal(row.signature_trust, null);
    }
    const unsigned = rows(json('intoto/statement-v01-slsa-v02-slsa-verifier-v2.0.1.json'), publicGood)[0]!;
    assert.equal(unsigned.signature, 'unsigned');
    assert.equal(unsigned.signature_trust, null);
    // With trust configured, a bare envelope with no certificate and no trusted key proves nothing.
    assert.equal(rows(recorded.bareDsse(), publicGood)[0]!.signature, 'failed');
  });

  describe('with locally generated keys', () => {
    let dir: string;
    let ours: TestKey;
    let theirs: TestKey;
    const statement = slsaStatement('12'.repeat(32), 'acme/app', 'a'.repeat(40), '2026-03-01T10:00:00Z');
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'lineage-keys-'));
      ours = makeKey(dir, 'ours');
      theirs = makeKey(dir, 'theirs');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('verifies envelopes and key-based bundles signed by a trusted key, by key id or as the only key', () => {
      const trust = loadAttestationTrust({ keys: [ours.pemFile] });
      const byId = rows(signEnvelope(statement, ours), trust)[0]!;
      assert.equal(byId.signature, 'verified', byId.signature_detail ?? '');
      assert.equal(byId.signer, `key ${ours.keyId}`);
      assert.equal(rows(signEnvelope(statement, ours, '') as Json, trust)[0]!.signature, 'verified');
      const bundle = keyBundle(signEnvelope(statement, ours), ours.keyId) as Json;
      assert.equal(rows(bundle, trust)[0]!.signature, 'verified');
    });

    it('fails a signature by an untrusted key, a payload edited after signing, and a signature moved to another statement', () => {
      const trust = loadAttestationTrust({ keys: [ours.pemFile] });
      const forged = rows(signEnvelope(statement, theirs), trust)[0]!;
      assert.equal(forged.signature, 'failed');
      assert.match(forged.signature_detail!, /not a trusted key/);
      // Claiming the trusted key's id does not help a signature made with another key.
      assert.equal(rows(signEnvelope(statement, theirs, ours.keyId) as Json, trust)[0]!.signature, 'failed');

      const envelope = signEnvelope(statement, ours);
      const other = slsaStatement('34'.repeat(32), 'acme/app', 'b'.repeat(40), '2026-03-01T10:00:00Z');
      const moved = { ...envelope, payload: Buffer.from(JSON.stringify(other)).toString('base64') };
      const row = rows(moved, trust)[0]!;
      assert.equal(row.subject_digest, `sha256:${'34'.repeat(32)}`);
      assert.equal(row.signature, 'failed');
    });

    it('keys a stripped or re-signed copy apart from the genuine statement, so neither replaces the other', () => {
      const trust = loadAttestationTrust({ keys: [ours.pemFile] });
      const genuine = signEnvelope(statement, ours) as Json;
      const forged = signEnvelope(statement, theirs) as Json;
      const stripped = statement as Json;
      const events = [genuine, forged, stripped].map((d) => normalizeInToto(d, JSON.stringify(d), trust));
      assert.equal(new Set(events.map((e) => e.key)).size, 3);
      const ids = events.map((e) => (e.facts.find((f) => f.table === 'attestations') as AttestationFact).row.id);
      assert.equal(new Set(ids).size, 3);
      // An unsigned statement keeps the key and id it always had.
      const plain = normalizeInToto(stripped, JSON.stringify(stripped));
      assert.equal(events[2]!.key, plain.key);
    });
  });

  describe('trust configuration', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'lineage-trust-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };

    it('names the file and what is wrong with it', () => {
      const cases: [Parameters<typeof loadAttestationTrust>[0], RegExp][] = [
        [{ trustedRoot: join(dir, 'missing.json') }, /cannot read the trusted root .*missing\.json: ENOENT/],
        [{ trustedRoot: write('notjson.json', '{"mediaType": ') }, /notjson\.json is not JSON; expected a Sigstore trusted root/],
        [
          { trustedRoot: write('other.json', '{"kind":"policy"}') },
          /other\.json is not a Sigstore trusted root \(mediaType application\/vnd\.dev\.sigstore\.trustedroot\+json\)/,
        ],
        [{ keys: [write('key.pem', 'not a key')] }, /key\.pem is not a PEM public key/],
      ];
      for (const [inputs, message] of cases)
        assert.throws(
          () => loadAttestationTrust(inputs),
          (e: Error) => e instanceof TrustConfigError && message.test(e.message),
        );
    });

    it('reads several roots one a line, as gh attestation trusted-root prints them', () => {
      const text = readFileSync(root, 'utf8');
      const lines = write('roots.jsonl', `${JSON.stringify(JSON.parse(text))}\n${JSON.stringify(JSON.parse(text))}\n`);
      const trust = loadAttestationTrust({ trustedRoot: lines });
      assert.equal(rows(recorded.bcr(), trust)[0]!.signature, 'verified');
    });
  });
});
