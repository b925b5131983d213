/**
 * Whether an attestation's signature proves anything: a Sigstore bundle or DSSE envelope is
 * verified with `@sigstore/verify` against trust the user supplies (a Sigstore trusted root, the
 * format `sigstore trustedroot` and the TUF repositories publish, and public keys for key-signed
 * envelopes). A certificate from a public CA proves only that some workflow signed, so the
 * certificate's own claims (Fulcio's source repository and digest extensions) must agree with the
 * provenance it signs.
 *
 * With trust configured, anything short of verification is a failure: a signature by an unknown
 * key or CA vouches for nothing. Without any, a signed statement is "unverified", never verified.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type Signer, type TrustMaterial } from '@sigstore/verify';
import type { Json } from './values';

export type SignatureState = 'verified' | 'failed' | 'unverified' | 'unsigned';

export interface SignatureCheck {
  state: SignatureState;
  /** Why it is not verified, or what was checked. */
  detail: string | null;
  /** Who signed: the certificate's identity and issuer, or the key id. */
  signer: string | null;
}

/** What an envelope claims, checked against the signer's certificate. */
export interface ProvenanceClaim {
  repoUri: string | null;
  commit: string | null;
}

export interface AttestationTrust {
  /** Fingerprint of the trust (trusted root and keys), stored with each verdict; null without trust. */
  readonly id: string | null;
  check(signed: SignedDocument, claim: ProvenanceClaim): SignatureCheck;
}

/** A Sigstore bundle, or a bare DSSE envelope, as it arrived. */
export type SignedDocument = { bundle: Json } | { envelope: Json };

export class TrustConfigError extends Error {
  override name = 'TrustConfigError';
}

const fulcio = {
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
};

/** `SHA256:<base64 of the key's DER>` as npm names its keys, and the plain hex digest as others do. */
export function keyIdsOf(key: KeyObject): string[] {
  const digest = createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest();
  return [`SHA256:${digest.toString('base64').replace(/=+$/, '')}`, digest.toString('hex')];
}

export interface TrustInputs {
  /** Path of a Sigstore trusted_root.json. */
  trustedRoot?: string | null;
  /**
   * PEM public keys that sign DSSE envelopes or key-based bundles: a path, or `KEYID=path` when
   * envelopes name the key by an id not derived from it (npm's `SHA256:jl3bwswu…`).
   */
  keys?: readonly string[];
}

/** `KEYID=path` or a path; an id may hold `=` and a path may too, so the file decides. */
function keyArgument(arg: string): { id: string | null; path: string } {
  if (existsSync(arg)) return { id: null, path: arg };
  for (let i = arg.indexOf('='); i > 0; i = arg.indexOf('=', i + 1)) {
    if (existsSync(arg.slice(i + 1))) return { id: arg.slice(0, i), path: arg.slice(i + 1) };
  }
  return { id: null, path: arg };
}

export function loadAttestationTrust(inputs: TrustInputs): AttestationTrust {
  const keys = (inputs.keys ?? []).map((arg) => {
    const { id, path } = keyArgument(arg);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new TrustConfigError(`cannot read the trusted key ${path}: ${(e as Error).message}`);
    }
    try {
      return { key: createPublicKey(text), id, text };
    } catch {
      throw new TrustConfigError(`${path} is not a PEM public key`);
    }
  });
  let rootText: string | null = null;
  let root: TrustedRoot | null = null;
  if (inputs.trustedRoot) {
    try {
      rootText = readFileSync(inputs.trustedRoot, 'utf8');
    } catch (e) {
      throw new TrustConfigError(`cannot read the trusted root ${inputs.trustedRoot}: ${(e as Error).message}`);
    }
    root = parseTrustedRoot(rootText, inputs.trustedRoot);
  }
  if (!root && keys.length === 0) return noTrust;
  const id = createHash('sha256')
    .update([rootText ?? '', ...keys.map((k) => k.text)].join('\n'))
    .digest('hex')
    .slice(0, 16);
  return new ConfiguredTrust(id, root, keys);
}

/** One trusted root, or several one a line (`gh attestation trusted-root`), as one. */
function parseTrustedRoot(text: string, path: string): TrustedRoot {
  let docs: unknown[];
  try {
    docs = [JSON.parse(text)];
  } catch {
    try {
      docs = text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as unknown);
    } catch {
      throw new TrustConfigError(`${path} is not JSON; expected a Sigstore trusted root (trusted_root.json)`);
    }
  }
  const roots = docs.map((d, i) => oneRoot(d, docs.length > 1 ? `${path} line ${i + 1}` : path));
  if (roots.length === 0) throw new TrustConfigError(`${path} is empty; expected a Sigstore trusted root`);
  return {
    mediaType: roots[0]!.mediaType,
    tlogs: roots.flatMap((r) => r.tlogs),
    certificateAuthorities: roots.flatMap((r) => r.certificateAuthorities),
    ctlogs: roots.flatMap((r) => r.ctlogs),
    timestampAuthorities: roots.flatMap((r) => r.timestampAuthorities),
  };
}

function oneRoot(json: unknown, path: string): TrustedRoot {
  const o = json as Record<string, unknown> | null;
  const mediaType = typeof o?.mediaType === 'string' ? o.mediaType : '';
  if (!mediaType.startsWith('application/vnd.dev.sigstore.trustedroot') || !Array.isArray(o?.tlogs)) {
    throw new TrustConfigError(`${path} is not a Sigstore trusted root (mediaType application/vnd.dev.sigstore.trustedroot+json)`);
  }
  try {
    return TrustedRoot.fromJSON(json);
  } catch (e) {
    throw new TrustConfigError(`${path} is not a valid Sigstore trusted root: ${(e as Error).message}`);
  }
}

export const noTrust: AttestationTrust = {
  id: null,
  check: (signed) => ({
    state: 'unverified',
    detail: `${'bundle' in signed ? 'Sigstore bundle' : 'DSSE envelope'} not verified: no trusted root or key is configured`,
    signer: null,
  }),
};

class ConfiguredTrust implements AttestationTrust {
  private readonly withCertificates: Verifier | null;
  private readonly withKeys: Verifier;
  private readonly keys: { key: KeyObject; ids: string[] }[];

  constructor(
    readonly id: string,
    private readonly root: TrustedRoot | null,
    keys: { key: KeyObject; id: string | null }[],
  ) {
    // Every id a key answers to, worked out once rather than at each envelope.
    this.keys = keys.map(({ key, id }) => ({ key, ids: id === null ? keyIdsOf(key) : [id, ...keyIdsOf(key)] }));
    const keyFinder = (hint: string) => {
      const key = this.keyFor(hint);
      if (!key) throw new UnknownKey(hint);
      return { publicKey: key, validFor: () => true };
    };
    const empty: TrustedRoot = { mediaType: '', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
    const material: TrustMaterial = toTrustMaterial(root ?? empty, keyFinder);
    // A certificate is only trusted at a time a log or timestamp authority vouches for.
    this.withCertificates = root ? new Verifier(material, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }) : null;
    this.withKeys = new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  }

  /** The key a hint names, or the only key when the envelope names none it knows. */
  private keyFor(hint: string): KeyObject | null {
    const named = this.keys.find((k) => k.ids.includes(hint));
    if (named) return named.key;
    return !hint && this.keys.length === 1 ? this.keys[0]!.key : null;
  }

  check(signed: SignedDocument, claim: ProvenanceClaim): SignatureCheck {
    let bundleJson: Json;
    if ('envelope' in signed) {
      const sigs = Array.isArray(signed.envelope.signatures) ? signed.envelope.signatures : [];
      const first = sigs[0] as Json | undefined;
      const hint = typeof first?.keyid === 'string' ? first.keyid : '';
      bundleJson = {
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: { publicKey: { hint }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
        dsseEnvelope: { ...signed.envelope, signatures: first ? [first] : [] },
      };
    } else {
      bundleJson = signed.bundle;
    }
    try {
      const bundle = bundleFromJSON(bundleJson);
      const content = bundle.verificationMaterial.content;
      const hint = content.$case === 'publicKey' ? content.publicKey.hint : null;
      if (hint !== null && !this.root) {
        // A log entry cannot be checked without the log's key; the signature itself still can.
        bundle.verificationMaterial.tlogEntries = [];
      }
      const entity = toSignedEntity(bundle);
      const verifier = hint !== null ? this.withKeys : this.withCertificates;
      if (!verifier) {
        return {
          state: 'failed',
          detail: 'signed with a certificate, but no trusted root is configured to check it against',
          signer: null,
        };
      }
      return this.judge(verifier.verify(entity), claim, hint);
    } catch (e) {
      if (e instanceof UnknownKey) {
        return { state: 'failed', detail: `signed by key "${e.hint}", which is not a trusted key`, signer: e.hint || null };
      }
      const err = e as Error & { code?: string };
      return { state: 'failed', detail: `${err.code ? `${err.code}: ` : ''}${err.message}`, signer: null };
    }
  }

  private judge(signer: Signer, claim: ProvenanceClaim, hint: string | null): SignatureCheck {
    const identity = signer.identity;
    if (!identity) {
      const name = hint || keyIdsOf(signer.key)[0]!;
      return { state: 'verified', detail: 'signature verified with a trusted key', signer: `key ${name}` };
    }
    const issuer = identity.extensions?.issuer;
    const who = `${identity.subjectAlternativeName ?? 'unknown identity'}${issuer ? ` (${issuer})` : ''}`;
    const repoUri = extensionText(identity, fulcio.sourceRepositoryUri);
    const commit = extensionText(identity, fulcio.sourceRepositoryDigest);
    if (claim.commit && commit && commit.toLowerCase() !== claim.commit.toLowerCase()) {
      return {
        state: 'failed',
        detail: `the signing certificate was issued to a run at commit ${commit}, but the provenance names ${claim.commit}`,
        signer: who,
      };
    }
    if (claim.repoUri && repoUri && normalRepo(repoUri) !== normalRepo(claim.repoUri)) {
      return {
        state: 'failed',
        detail: `the signing certificate was issued to a run of ${repoUri}, but the provenance names ${claim.repoUri}`,
        signer: who,
      };
    }
    const bound = repoUri || commit ? `; certificate issued to a run of ${repoUri ?? '?'}${commit ? `@${commit.slice(0, 12)}` : ''}` : '';
    return { state: 'verified', detail: `signature, certificate chain and transparency log verified${bound}`, signer: who };
  }
}

class UnknownKey extends Error {
  constructor(readonly hint: string) {
    super(`no trusted key for "${hint}"`);
  }
}

function normalRepo(uri: string): string {
  return uri
    .replace(/^git\+/, '')
    .replace(/@.*$/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}

/** A Fulcio v2 extension: a DER UTF8String (tag 0x0c), short or long length form. */
function extensionText(identity: NonNullable<Signer['identity']>, oid: string): string | null {
  const pair = identity.oids?.find((o) => o.oid?.id.join('.') === oid);
  const v = pair?.value;
  if (!v || v.length < 2 || v[0] !== 0x0c) return null;
  let len = v[1]!;
  let start = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | v[2 + i]!;
    start = 2 + n;
  }
  return v.subarray(start, start + len).toString('utf8');
}
