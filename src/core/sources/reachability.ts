/**
 * A source that cannot be connected to should cost the user seconds, not minutes: connections get
 * a short time to be made, a failed connection is not retried (retries are for answers that
 * failed), and for a while after one the next requests fail at once instead of waiting again. An
 * offline laptop then falls back to git in under three seconds, and stays fast while offline.
 */

/** How long making a connection (DNS, TCP, TLS) may take before the source counts as unreachable. */
export const connectTimeoutMs = 2000;

/** How long after a failed connection requests fail at once. */
const holdMs = 15_000;

const connectCodes = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Why no connection could be made, when an error (or one it wraps) says so, as the words a notice
 * shows ("ECONNREFUSED", "no connection within 2 s"); null for a connection that was made and broke.
 */
export function connectFailure(e: unknown): string | null {
  let current: unknown = e;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && connectCodes.has(code))
      return code === 'UND_ERR_CONNECT_TIMEOUT' ? `no connection within ${connectTimeoutMs / 1000} s` : code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

export class Reachability {
  private downUntil = 0;
  private reason = '';

  /** Why the source is taken to be unreachable now, or null. */
  down(now = Date.now()): string | null {
    return now < this.downUntil ? this.reason : null;
  }

  failed(reason: string, now = Date.now()): void {
    this.downUntil = now + holdMs;
    this.reason = reason;
  }

  reached(): void {
    this.downUntil = 0;
  }
}
