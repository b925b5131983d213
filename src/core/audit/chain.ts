/**
 * The audit chain and its signed checkpoints, as both the service and an offline verifier compute
 * them. Entry n links the event it covers to everything before it:
 *   hash(n) = sha256(hash(n-1) \n n \n key \n sha256(raw))
 * A checkpoint is the service's Ed25519 signature over a chain head (sequence number and hash):
 * a deleted tail or a rewritten history no longer matches a checkpoint taken before it, and only
 * the holder of the signing key can make a new one.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import type { AuditEntry, Checkpoint } from '../model/audit';

export { AuditEntry, Checkpoint } from '../model/audit';

export const genesisHash = 'genesis';

export function sha256Text(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export function chainHash(prev: string, seq: number, key: string, eventHash: string): string {
  return sha256Text(`${prev}\n${seq}\n${key}\n${eventHash}`);
}

export function checkpointMessage(seq: number, hash: string): Buffer {
  return Buffer.from(`code-lineage checkpoint v1\n${seq}\n${hash}\n`);
}

/**
 * What the service signs when it cuts the chain: the last entry dropped (its sequence number and
 * hash, which the export ends with and the kept chain starts from) and the digest of the kept
 * rows' state at that entry.
 */
export function cutMessage(seq: number, hash: string, baseDigest: string): Buffer {
  return Buffer.from(`code-lineage cut v1\n${seq}\n${hash}\n${baseDigest}\n`);
}

export function keyIdOf(publicKeyDer: Buffer): string {
  return createHash('sha256').update(publicKeyDer).digest('hex').slice(0, 16);
}

/** Null when the checkpoint's signature holds under its own key, else why not. */
export function checkpointSignatureProblem(cp: Checkpoint): string | null {
  try {
    const der = Buffer.from(cp.publicKey, 'base64');
    if (keyIdOf(der) !== cp.keyId) return `key id ${cp.keyId} is not the id of the key it carries`;
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') return 'the checkpoint key is not an Ed25519 key';
    return verifySignature(null, checkpointMessage(cp.seq, cp.hash), key, Buffer.from(cp.signature, 'base64'))
      ? null
      : `the signature on checkpoint ${cp.seq} does not verify`;
  } catch (e) {
    return `the checkpoint's key or signature is malformed: ${(e as Error).message}`;
  }
}

/**
 * Checks a contiguous run of entries: each links to the one before, and each hash is what the
 * formula gives. `events` maps an event key to its raw text where the caller holds it. Returns the
 * first problem, naming its entry, or null.
 */
export function segmentProblem(entries: AuditEntry[], events: Map<string, string> = new Map()): { seq: number; reason: string } | null {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const before = entries[i - 1];
    if (before && e.seq !== before.seq + 1) return { seq: before.seq + 1, reason: 'entry missing' };
    if (before && e.prevHash !== before.hash) return { seq: e.seq, reason: 'previous-hash link does not match' };
    if (e.seq === 1 && e.prevHash !== genesisHash) return { seq: 1, reason: 'the first entry does not start from the genesis' };
    if (chainHash(e.prevHash, e.seq, e.eventKey, e.eventHash) !== e.hash) return { seq: e.seq, reason: 'entry hash does not match' };
    const raw = events.get(e.eventKey);
    if (raw !== undefined && sha256Text(raw) !== e.eventHash)
      return { seq: e.seq, reason: `event ${e.eventKey} no longer matches its hash` };
  }
  return null;
}
