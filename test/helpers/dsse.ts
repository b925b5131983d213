/** DSSE envelopes signed with locally generated keys, as a signing pipeline would make them. */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdsOf } from '../../src/core/ingest/attestationTrust';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** `SHA256:<base64>`, as npm names keys and as envelopes carry it in `keyid`. */
  keyId: string;
  /** The public key written as PEM in `dir`, for `--trusted-key`. */
  pemFile: string;
}

export function makeKey(dir: string, name: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pemFile = join(dir, `${name}.pub.pem`);
  writeFileSync(pemFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey, keyId: keyIdsOf(publicKey)[0]!, pemFile };
}

const payloadType = 'application/vnd.in-toto+json';

/** DSSE's pre-authentication encoding: what is signed. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

/** A SLSA v1 statement: `digest` (sha256 hex) built from `repo` at `commit`. */
export function slsaStatement(digestHex: string, repo: string, commit: string, finishedOn: string): object {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'app', digest: { sha256: digestHex } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://example.com/build/v1',
        externalParameters: {},
        resolvedDependencies: [{ uri: `git+https://github.com/${repo}@refs/heads/main`, digest: { gitCommit: commit } }],
      },
      runDetails: { builder: { id: 'https://example.com/builder' }, metadata: { invocationId: 'run-1', finishedOn } },
    },
  };
}

export function signEnvelope(
  statement: object,
  key: TestKey,
  keyid = key.keyId,
): { payloadType: string; payload: string; signatures: object[] } {
  const body = Buffer.from(JSON.stringify(statement));
  const sig = sign('sha256', pae(payloadType, body), key.privateKey);
  return { payloadType, payload: body.toString('base64'), signatures: [{ keyid, sig: sig.toString('base64') }] };
}

/** The statement a bundle's DSSE envelope carries. */
export function statementOf(bundle: any): any {
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
}

/** A copy of a bundle whose statement is edited after signing, the signature left as it was. */
export function editPayload<T>(bundle: T, change: (statement: any) => void): T {
  const copy = structuredClone(bundle) as any;
  const statement = statementOf(copy);
  change(statement);
  copy.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  return copy;
}

/** The same envelope as a key-based Sigstore bundle v0.3 (no log entry). */
export function keyBundle(envelope: ReturnType<typeof signEnvelope>, hint: string): object {
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint }, tlogEntries: [] },
    dsseEnvelope: envelope,
  };
}
