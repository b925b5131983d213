/** The audit log's entries and signed checkpoints as the API serves them (docs/openapi.yaml). */
import { z } from 'zod';

export const AuditEntry = z.object({
  seq: z.number().int().min(1),
  eventKey: z.string(),
  eventHash: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const Checkpoint = z.object({
  seq: z.number().int().min(0),
  hash: z.string(),
  at: z.string(),
  /** Ed25519 signature over checkpointMessage(seq, hash), base64. */
  signature: z.string(),
  /** The signing key, SPKI DER in base64, and its id (sha256 of that DER, 16 hex digits). */
  publicKey: z.string(),
  keyId: z.string(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;
