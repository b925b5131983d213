/**
 * Access: a write token for ingest and a read token for queries (the write token also reads).
 * An access class with no token configured is open to loopback clients only, so a service started
 * with no tokens is reachable from this machine and nowhere else.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ProblemError } from './problem';

export interface AccessConfig {
  readToken?: string;
  writeToken?: string;
}

export type Access = 'read' | 'write';

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Compares secrets in constant time (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? (m[1] ?? null) : null;
}

export function authorize(req: IncomingMessage, access: Access, config: AccessConfig): void {
  const token = bearer(req);
  const required = access === 'write' ? config.writeToken : config.readToken;
  if (!required) {
    if (access === 'read' && config.writeToken && token && safeEqual(token, config.writeToken)) return;
    if (isLoopback(req.socket.remoteAddress)) return;
    throw new ProblemError(403, 'forbidden', 'Forbidden', `no ${access} token is configured, so ${access} access is limited to loopback clients`);
  }
  const ok = token !== null && (safeEqual(token, required) || (access === 'read' && !!config.writeToken && safeEqual(token, config.writeToken)));
  if (!ok) {
    throw new ProblemError(401, 'unauthorized', 'Unauthorized', `a valid ${access} token is required (Authorization: Bearer <token>)`, undefined, {
      'www-authenticate': 'Bearer realm="code-lineage"',
    });
  }
}

/** Verifies GitHub's `X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`. */
export function verifyGithubSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return safeEqual(header, expected);
}
