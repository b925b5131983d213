/**
 * The key the service signs chain checkpoints with: an Ed25519 private key in a PEM file, given
 * with --signing-key or made on first start (mode 0600). Whoever holds it can sign a rewritten
 * history, so in a team it lives with the service, not with the database.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkpointMessage, cutMessage, keyIdOf } from '../../core/audit/chain';

export interface CheckpointSigner {
  keyId: string;
  /** SPKI DER, base64. */
  publicKey: string;
  sign(seq: number, hash: string): string;
  /** Signs a retention cut (cutMessage). */
  signCut(seq: number, hash: string, baseDigest: string): string;
  /**
   * A 32-byte secret for one purpose, derived from the private key (HKDF-SHA256): what the service
   * alone can make, like its signatures, without keeping a second secret.
   */
  secretFor(purpose: string): Buffer;
}

export class SigningKeyError extends Error {
  override name = 'SigningKeyError';
}

export function signerFromKey(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyError('the signing key must be an Ed25519 private key');
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    keyId: keyIdOf(der),
    publicKey: der.toString('base64'),
    sign: (seq, hash) => sign(null, checkpointMessage(seq, hash), privateKey).toString('base64'),
    signCut: (seq, hash, baseDigest) => sign(null, cutMessage(seq, hash, baseDigest), privateKey).toString('base64'),
    secretFor: (purpose) =>
      Buffer.from(hkdfSync('sha256', privateKey.export({ format: 'der', type: 'pkcs8' }), 'code-lineage', purpose, 32)),
  };
}

/** Reads the key at `file`, making one there first when `create` and it does not exist. */
export function loadSigner(file: string, create: boolean): { signer: CheckpointSigner; created: boolean } {
  if (!existsSync(file)) {
    if (!create) throw new SigningKeyError(`no signing key at ${file}`);
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    return { signer: signerFromKey(privateKey), created: true };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (e) {
    throw new SigningKeyError(`${file} is not a PEM private key: ${(e as Error).message}`);
  }
  return { signer: signerFromKey(key), created: false };
}
