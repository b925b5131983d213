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

/** Whether the request's bearer token is `secret`. */
export function bearerIs(req: IncomingMessage, secret: string): boolean {
  const token = bearerToken(req);
  return token !== null && safeEqual(token, secret);
}

/** Whether the request's X-Gitlab-Token is the configured one (GitLab sends the secret as it is). */
export function gitlabTokenIs(req: IncomingMessage, secret: string): boolean {
  const token = req.headers['x-gitlab-token'];
  return typeof token === 'string' && safeEqual(token, secret);
}

/** The request's bearer token, if it sent one. */
export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? (m[1] ?? null) : null;
}

export function authorize(req: IncomingMessage, access: Access, config: AccessConfig): void {
  const token = bearerToken(req);
  const required = access === 'write' ? config.writeToken : config.readToken;
  if (!required) {
    if (access === 'read' && config.writeToken && token && safeEqual(token, config.writeToken)) return;
    if (isLoopback(req.socket.remoteAddress)) return;
    throw new ProblemError(
      403,
      'forbidden',
      'Forbidden',
      `no ${access} token is configured, so ${access} access is limited to loopback clients`,
    );
  }
  const ok =
    token !== null && (safeEqual(token, required) || (access === 'read' && !!config.writeToken && safeEqual(token, config.writeToken)));
  if (!ok) {
    throw new ProblemError(
      401,
      'unauthorized',
      'Unauthorized',
      `a valid ${access} token is required (Authorization: Bearer <token>)`,
      undefined,
      {
        'www-authenticate': 'Bearer realm="code-lineage"',
      },
    );
  }
}

/** Verifies GitHub's `X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`. */
export function verifyGithubSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return safeEqual(header, expected);
}

// Protobuf (OTLP) is not a type a page may send cross-site without a preflight either.
const nonSimpleJson = /^application\/(json|[a-z0-9.-]+\+json|x-ndjson|ndjson|jsonl|x-protobuf)\s*(;|$)/i;

/** `host:port` of a Host header, with IPv6 brackets removed; null when it is not one. */
function hostAndPort(header: string): { host: string; port: number | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(header);
  if (!m) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, '').toLowerCase(), port: m[2] ? Number(m[2]) : null };
}

/**
 * A service answering without a token trusts that the caller is on this machine, which a web page
 * in the user's browser also is. So such requests must name this service in Host (a page reaching
 * it through DNS rebinding names its own domain), carry no foreign Origin, and write only with a
 * JSON content type, which a page cannot send cross-site without a preflight this service never
 * grants. `signedWebhook` exempts GitHub deliveries whose signature is checked.
 */
export function checkLocalRequest(req: IncomingMessage, isWrite: boolean, signedWebhook: boolean): void {
  const header = req.headers.host;
  const parsed = header ? hostAndPort(header) : null;
  const local = parsed !== null && (parsed.host === 'localhost' || isLoopback(parsed.host)) && (parsed.port ?? 80) === req.socket.localPort;
  if (!local) {
    throw new ProblemError(
      403,
      'foreign-host',
      'Forbidden',
      `without tokens this service answers requests addressed to it on this machine (Host 127.0.0.1:${req.socket.localPort} or localhost:${req.socket.localPort}), not "${(header ?? '').slice(0, 100)}"`,
    );
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${header}`) {
    throw new ProblemError(
      403,
      'foreign-origin',
      'Forbidden',
      `requests from web pages (Origin ${origin.slice(0, 100)}) are refused; configure tokens to serve other origins`,
    );
  }
  if (isWrite && !signedWebhook && !nonSimpleJson.test(req.headers['content-type'] ?? '')) {
    throw new ProblemError(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      'without a write token a write must be JSON, Content-Type application/json (or +json, application/x-ndjson): expected JSON, which a web page cannot send cross-site',
    );
  }
}
