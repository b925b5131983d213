/**
 * Who really deployed: a deployment sent with a CI job's OIDC token (GitHub Actions' ID token, or
 * any issuer configured) instead of the write token. The token is verified against the issuer's
 * published keys (OpenID discovery, then its JWKS, cached by jose), for the configured audience,
 * within its lifetime. The claims that matter are stored with the deployment, and a deployment
 * that contradicts them (another repository, commit or environment) is refused: the token then
 * proves which workflow run, on which ref, by whom, put that commit there.
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { ProblemError } from './problem';

export interface OidcConfig {
  issuers: string[];
  audience: string;
}

/** The claims kept with a verified deployment (GitHub Actions' names; other issuers' where they agree). */
export interface VerifiedClaims {
  issuer: string;
  subject: string | null;
  repository: string | null;
  ref: string | null;
  sha: string | null;
  job_workflow_ref: string | null;
  workflow_ref: string | null;
  environment: string | null;
  actor: string | null;
  run_id: string | null;
  runner_environment: string | null;
}

const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

export class OidcVerifier {
  private readonly keys = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  private readonly discovering = new Map<string, Promise<URL>>();

  constructor(private readonly config: OidcConfig) {}

  /** Whether a bearer token is a JWT this service could verify (as opposed to a plain token). */
  static looksLikeJwt(token: string): boolean {
    return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
  }

  async verify(token: string): Promise<VerifiedClaims> {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw unauthorized('the bearer token is not a JWT');
    }
    const trusted = this.config.issuers.find((i) => strip(i) === strip(issuer ?? ''));
    if (!trusted) throw unauthorized(`the token's issuer ${JSON.stringify(issuer ?? null)} is not one this service trusts`);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.jwks(trusted), {
        issuer: trusted,
        audience: this.config.audience,
        algorithms,
        clockTolerance: 30,
      }));
    } catch (e) {
      throw unauthorized(`the OIDC token does not verify: ${(e as Error).message}`);
    }
    const claim = (name: string) => {
      const v = payload[name];
      return typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, 512) : null;
    };
    return {
      issuer: trusted,
      subject: claim('sub'),
      repository: claim('repository'),
      ref: claim('ref'),
      sha: claim('sha'),
      job_workflow_ref: claim('job_workflow_ref'),
      workflow_ref: claim('workflow_ref'),
      environment: claim('environment'),
      actor: claim('actor'),
      run_id: claim('run_id'),
      runner_environment: claim('runner_environment'),
    };
  }

  private async jwks(issuer: string) {
    const cached = this.keys.get(issuer);
    if (cached) return cached;
    let discovery = this.discovering.get(issuer);
    if (!discovery) {
      discovery = discoverJwks(issuer);
      this.discovering.set(issuer, discovery);
      discovery.catch(() => this.discovering.delete(issuer));
    }
    const set = createRemoteJWKSet(await discovery, { timeoutDuration: 5_000, cooldownDuration: 30_000 });
    this.keys.set(issuer, set);
    return set;
  }
}

/** The issuer's JWKS address, from its OpenID configuration; it must be served by the issuer's own origin or over https. */
async function discoverJwks(issuer: string): Promise<URL> {
  const url = `${strip(issuer)}/.well-known/openid-configuration`;
  let document: { jwks_uri?: unknown };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    document = (await res.json()) as { jwks_uri?: unknown };
  } catch (e) {
    throw new ProblemError(503, 'oidc-unavailable', 'OIDC issuer unavailable', `could not read ${url}: ${(e as Error).message}`);
  }
  if (typeof document.jwks_uri !== 'string')
    throw new ProblemError(503, 'oidc-unavailable', 'OIDC issuer unavailable', `${url} names no jwks_uri`);
  const jwks = new URL(document.jwks_uri);
  if (jwks.protocol !== 'https:' && jwks.origin !== new URL(issuer).origin) {
    throw new ProblemError(
      503,
      'oidc-unavailable',
      'OIDC issuer unavailable',
      `${url} names keys at ${jwks.origin}, neither https nor the issuer's own origin`,
    );
  }
  return jwks;
}

function strip(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

function unauthorized(detail: string): ProblemError {
  return new ProblemError(401, 'unauthorized', 'Unauthorized', detail, undefined, { 'www-authenticate': 'Bearer realm="code-lineage"' });
}
