/**
 * in-toto statements with SLSA provenance (v0.2 and v1), bare, in a DSSE envelope, in a Sigstore
 * bundle, or in npm's `{ attestations: [...] }` listing. Each subject digest is linked to the
 * source commit the provenance names. A signed statement's signature is checked against the trust
 * the service is given (attestationTrust.ts) and the verdict is stored on each row, with the
 * fingerprint of that trust, so verification derives the same verdict again.
 */
import { noTrust, type AttestationTrust, type SignedDocument } from './attestationTrust';
import { type Fact, InvalidEventError, type NormalizedEvent, rankOf } from './facts';
import { at, iso, obj, repoFrom, sha, sha256Hex, str, type Json } from './values';

interface Unwrapped {
  statement: Json;
  payloadText: string;
  signed: boolean;
  /** The bundle or envelope the statement came in, when it carries a signature. */
  signedDoc: SignedDocument | null;
}

export function isInToto(v: unknown): boolean {
  const o = obj(v);
  if (!o) return false;
  if (typeof o._type === 'string' && o._type.startsWith('https://in-toto.io/Statement')) return true;
  if (typeof o.payloadType === 'string' && typeof o.payload === 'string') return true;
  if (obj(o.dsseEnvelope)) return true;
  return Array.isArray(o.attestations) && o.attestations.every((a) => obj(obj(a)?.bundle));
}

/** Splits one input document into the statements it carries. */
export function unwrapStatements(doc: Json, pointer = ''): Unwrapped[] {
  if (Array.isArray(doc.attestations)) {
    return doc.attestations.flatMap((a, i) => {
      const bundle = obj(obj(a)?.bundle);
      if (!bundle) throw new InvalidEventError(`${pointer}/attestations/${i}/bundle`, 'required');
      return unwrapStatements(bundle, `${pointer}/attestations/${i}/bundle`);
    });
  }
  const envelope = obj(doc.dsseEnvelope) ?? (typeof doc.payload === 'string' ? doc : null);
  if (envelope) {
    const envPointer = doc.dsseEnvelope ? `${pointer}/dsseEnvelope` : pointer;
    const payloadType = str(envelope.payloadType);
    if (payloadType !== 'application/vnd.in-toto+json') {
      throw new InvalidEventError(`${envPointer}/payloadType`, 'expected application/vnd.in-toto+json');
    }
    const payload = str(envelope.payload, 50_000_000);
    if (!payload) throw new InvalidEventError(`${envPointer}/payload`, 'required, base64');
    const payloadText = Buffer.from(payload, 'base64').toString('utf8');
    let statement: unknown;
    try {
      statement = JSON.parse(payloadText);
    } catch {
      throw new InvalidEventError(`${envPointer}/payload`, 'does not decode to a JSON in-toto statement');
    }
    const st = obj(statement);
    if (!st) throw new InvalidEventError(`${envPointer}/payload`, 'does not decode to a JSON object');
    const signatures = Array.isArray(envelope.signatures) ? envelope.signatures : [];
    const signed = signatures.some((s) => str(obj(s)?.sig, 100000) !== null);
    const signedDoc: SignedDocument | null = !signed ? null : doc.dsseEnvelope ? { bundle: doc } : { envelope };
    return [{ statement: st, payloadText, signed, signedDoc }];
  }
  return [{ statement: doc, payloadText: JSON.stringify(doc), signed: false, signedDoc: null }];
}

/**
 * What makes a signed statement this one: its signatures and the material that vouches for them,
 * so a copy with a forged or stripped signature is a different event and a different row, and
 * cannot stand in for (or be deduplicated into) the genuine one.
 */
function signatureIdentity(s: Unwrapped): string {
  if (!s.signedDoc) return '';
  const [material, signatures] =
    'bundle' in s.signedDoc
      ? [s.signedDoc.bundle.verificationMaterial, obj(s.signedDoc.bundle.dsseEnvelope)?.signatures]
      : [null, s.signedDoc.envelope.signatures];
  return `\n${JSON.stringify(material ?? null)}\n${JSON.stringify(signatures ?? null)}`;
}

export function normalizeInToto(doc: Json, raw: string, trust: AttestationTrust = noTrust): NormalizedEvent {
  const statements = unwrapStatements(doc).map((s) => ({ ...s, identity: signatureIdentity(s) }));
  const key = `intoto:${sha256Hex(statements.map((s) => s.payloadText + s.identity).join('\n'))}`;
  const facts: Fact[] = [];
  for (const { statement, payloadText, signed, signedDoc, identity } of statements) {
    const type = str(statement._type);
    if (!type || !type.startsWith('https://in-toto.io/Statement')) {
      throw new InvalidEventError('/_type', 'expected an in-toto Statement (https://in-toto.io/Statement/…)');
    }
    const predicateType = str(statement.predicateType);
    if (!predicateType) throw new InvalidEventError('/predicateType', 'required');
    if (!Array.isArray(statement.subject) || statement.subject.length === 0) {
      throw new InvalidEventError('/subject', 'required, a non-empty array');
    }
    const source = provenanceSource(obj(statement.predicate) ?? {}, predicateType);
    const signature = signedDoc
      ? trust.check(signedDoc, { repoUri: source.uri, commit: source.commit })
      : { state: 'unsigned' as const, detail: null, signer: null };
    statement.subject.forEach((s, i) => {
      const subject = obj(s);
      const digests = obj(subject?.digest) ?? {};
      const algorithm = ['sha256', 'sha512', 'sha384'].find((a) => typeof digests[a] === 'string');
      const hex = algorithm ? str(digests[algorithm])?.toLowerCase() : null;
      if (!algorithm || !hex || !/^[0-9a-f]+$/.test(hex)) {
        throw new InvalidEventError(`/subject/${i}/digest`, 'needs a sha256, sha384 or sha512 hex digest');
      }
      const digest = `${algorithm}:${hex}`;
      const rank = rankOf(source.finishedAt ?? source.startedAt, 0, key);
      facts.push({
        table: 'attestations',
        rank,
        row: {
          id: sha256Hex(`${payloadText}\n${digest}${identity}`),
          subject_digest: digest,
          subject_name: str(subject?.name),
          predicate_type: predicateType,
          repo: source.repo,
          commit_sha: source.commit,
          source_uri: source.uri,
          builder: source.builder,
          build_type: source.buildType,
          invocation: source.invocation,
          signed,
          signature: signature.state,
          signature_detail: signature.detail,
          signer: signature.signer,
          signature_trust: signedDoc ? trust.id : null,
          started_at: source.startedAt,
          finished_at: source.finishedAt,
        },
      });
      facts.push({
        table: 'artifacts',
        rank,
        row: {
          digest,
          name: str(subject?.name),
          purl: str(subject?.name)?.startsWith('pkg:') ? str(subject?.name) : null,
          repo: source.repo,
          commit_sha: source.commit,
          build_id: source.invocation,
          created_at: source.finishedAt,
        },
      });
    });
  }
  return { key, format: 'intoto', raw, facts };
}

interface ProvenanceSource {
  repo: string | null;
  commit: string | null;
  uri: string | null;
  builder: string | null;
  buildType: string | null;
  invocation: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** The source repository and commit a SLSA predicate names, v0.2 or v1. */
function provenanceSource(p: Json, predicateType: string): ProvenanceSource {
  if (predicateType.startsWith('https://slsa.dev/provenance/v0.')) {
    const config = obj(at(p, 'invocation.configSource')) ?? {};
    const material = (Array.isArray(p.materials) ? p.materials.map(obj) : []).find(
      (m) => m && gitCommitOf(m.digest) && str(m.uri)?.startsWith('git+'),
    );
    const uri = str(config.uri) ?? str(material?.uri);
    return {
      repo: repoFrom(uri),
      commit: gitCommitOf(config.digest) ?? gitCommitOf(material?.digest),
      uri,
      builder: str(at(p, 'builder.id')),
      buildType: str(p.buildType),
      invocation: str(at(p, 'metadata.buildInvocationId')),
      startedAt: iso(at(p, 'metadata.buildStartedOn')),
      finishedAt: iso(at(p, 'metadata.buildFinishedOn')),
    };
  }
  if (predicateType.startsWith('https://slsa.dev/provenance/v1')) {
    const def = obj(p.buildDefinition) ?? {};
    const deps = Array.isArray(def.resolvedDependencies) ? def.resolvedDependencies.map(obj) : [];
    const gitDep = deps.find((d) => d && gitCommitOf(d.digest) && str(d.uri)?.startsWith('git+'));
    const sourceParam = obj(at(def, 'externalParameters.source'));
    const uri = str(gitDep?.uri) ?? str(sourceParam?.uri) ?? str(at(def, 'externalParameters.workflow.repository'));
    return {
      repo: repoFrom(uri),
      commit: gitCommitOf(gitDep?.digest) ?? gitCommitOf(sourceParam?.digest),
      uri,
      builder: str(at(p, 'runDetails.builder.id')),
      buildType: str(def.buildType),
      invocation: str(at(p, 'runDetails.metadata.invocationId')),
      startedAt: iso(at(p, 'runDetails.metadata.startedOn')),
      finishedAt: iso(at(p, 'runDetails.metadata.finishedOn')),
    };
  }
  return { repo: null, commit: null, uri: null, builder: null, buildType: null, invocation: null, startedAt: null, finishedAt: null };
}

function gitCommitOf(digest: unknown): string | null {
  const d = obj(digest);
  if (!d) return null;
  return sha(d.gitCommit) ?? sha(d.sha1) ?? sha(d.sha256);
}
