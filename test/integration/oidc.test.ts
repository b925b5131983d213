/**
 * Deployments sent with a CI job's OIDC token, against a local issuer that publishes its keys as
 * GitHub's does (OpenID discovery and a JWKS) and hands out tokens as Actions' token endpoint
 * does: a verified token records who deployed from which workflow, and a token that is forged,
 * expired, for another audience or contradicted by its deployment records nothing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { http, startTestService, type TestService } from '../helpers/testService';
import { runLineage } from '../helpers/cli';
import { TestRepo } from '../helpers/gitRepo';

interface Issuer {
  url: string;
  sign(claims: JWTPayload, options?: { audience?: string; expiresIn?: string; key?: 'other' }): Promise<string>;
  /** Claims the Actions-like token endpoint puts in the tokens it hands out. */
  jobClaims: JWTPayload;
  close(): Promise<void>;
}

async function localIssuer(): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let url = '';
  const state = { jobClaims: {} as JWTPayload };
  const sign = (claims: JWTPayload, options: { audience?: string; expiresIn?: string; key?: 'other' } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(url)
      .setAudience(options.audience ?? 'code-lineage')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(options.key === 'other' ? other.privateKey : privateKey);
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', url);
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (u.pathname === '/.well-known/openid-configuration') {
      json({ issuer: url, jwks_uri: `${url}/.well-known/jwks` });
      return;
    }
    if (u.pathname === '/.well-known/jwks') {
      json({ keys: [jwk] });
      return;
    }
    if (u.pathname === '/token' && req.headers.authorization === 'Bearer request-token') {
      void sign(state.jobClaims, { audience: u.searchParams.get('audience') ?? undefined }).then((value) => json({ value }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    sign,
    get jobClaims() {
      return state.jobClaims;
    },
    set jobClaims(c: JWTPayload) {
      state.jobClaims = c;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const commit = 'f'.repeat(40);
const claims = {
  sub: 'repo:acme/shop:environment:production',
  repository: 'acme/shop',
  ref: 'refs/heads/main',
  sha: commit,
  job_workflow_ref: 'acme/shop/.github/workflows/deploy.yml@refs/heads/main',
  environment: 'production',
  actor: 'rita',
  run_id: '4242',
  runner_environment: 'github-hosted',
};
const deployment = (over: Record<string, unknown> = {}) => ({
  type: 'deployment',
  id: `oidc-${Math.random()}`,
  repo: 'acme/shop',
  deploymentId: 'gha:4242:production',
  environment: 'production',
  commit,
  at: '2026-03-01T10:00:00Z',
  ...over,
});

describe('deployments sent with a CI job\u2019s OIDC token (embedded store)', function () {
  this.timeout(60_000);
  let issuer: Issuer;
  let t: TestService;
  before(async () => {
    issuer = await localIssuer();
    t = await startTestService('embedded', { writeToken: 'w', readToken: 'r', oidcIssuers: [issuer.url] });
  });
  after(async () => {
    await t?.close();
    await issuer?.close();
  });
  const send = (token: string, body: unknown) =>
    http(`${t.url}/v1/events`, { body: JSON.stringify(body), headers: { authorization: `Bearer ${token}` } });

  it('records the deployment with the claims of the verified token', async () => {
    const res = await send(await issuer.sign(claims), deployment());
    assert.equal(res.status, 200, res.text);
    const d = (await t.client.deployments('acme/shop', 'production')).deployments[0]!;
    assert.equal(d.verifiedBy?.job_workflow_ref, claims.job_workflow_ref);
    assert.equal(d.verifiedBy?.actor, 'rita');
    assert.equal(d.verifiedBy?.issuer, issuer.url);
    const audit = await t.client.verifyAudit();
    assert.equal(audit.ok, true, audit.reason ?? JSON.stringify(audit.differences));
  });

  it('refuses a token that is forged, expired, for another audience or issuer, and one its deployment contradicts', async () => {
    const before = (await t.client.health()).events;
    const cases: [string, string, unknown, number, RegExp][] = [
      ['signed by another key', await issuer.sign(claims, { key: 'other' }), deployment(), 401, /does not verify/],
      ['expired', await issuer.sign(claims, { expiresIn: '-10m' }), deployment(), 401, /does not verify.*exp/],
      ['for another audience', await issuer.sign(claims, { audience: 'someone-else' }), deployment(), 401, /does not verify.*aud/],
      [
        'another repository',
        await issuer.sign(claims),
        deployment({ repo: 'acme/other' }),
        403,
        /repo is "acme\/other", the token says "acme\/shop"/,
      ],
      ['another commit', await issuer.sign(claims), deployment({ commit: 'e'.repeat(40) }), 403, /commit is/],
      ['another environment', await issuer.sign(claims), deployment({ environment: 'staging' }), 403, /environment is "staging"/],
      [
        'not a deployment',
        await issuer.sign(claims),
        { type: 'build', id: 'b1', repo: 'acme/shop', commit, status: 'completed' },
        422,
        /deployments only/,
      ],
    ];
    for (const [what, token, body, status, reason] of cases) {
      const res = await send(token, body);
      assert.equal(res.status, status, `${what}: ${res.text}`);
      assert.match(String(res.json?.detail ?? res.text) + JSON.stringify(res.json?.errors ?? []), reason, what);
    }
    // An unsigned token ("alg": "none") and one from an issuer not configured.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: issuer.url, aud: 'code-lineage' })).toString('base64url')}.`;
    assert.equal((await send(none, deployment())).status, 401);
    const elsewhere = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'https://evil.example' })).toString('base64url')}.sig`;
    assert.match((await send(elsewhere, deployment())).text, /not one this service trusts/);
    // The token opens nothing but sending deployments.
    const read = await http(`${t.url}/v1/repos/acme/shop/environments`, {
      headers: { authorization: `Bearer ${await issuer.sign(claims)}` },
    });
    assert.equal(read.status, 401);
    // Claims cannot be sent by hand, even with the write token.
    const forged = await http(`${t.url}/v1/events`, {
      body: JSON.stringify(deployment({ verifiedBy: { job_workflow_ref: 'made-up' } })),
      headers: { authorization: 'Bearer w' },
    });
    assert.equal(forged.status, 422);
    assert.match(forged.text, /set by the service from a verified OIDC token/);
    assert.equal((await t.client.health()).events, before, 'nothing was stored');
  });

  it('lineage record-deploy --oidc sends the job\u2019s deployment with its token, and the hover says who deployed', async () => {
    const repo = TestRepo.init('acme/shop');
    repo.write('app.js', ['export const v = 2;']);
    const head = repo.commit('v2');
    issuer.jobClaims = { ...claims, sha: head, run_id: '5151', environment: 'production' };
    const r = await runLineage(repo.dir, ['record-deploy', 'production', '--oidc', '--json', '--api', t.url], undefined, {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: head,
      GITHUB_RUN_ID: '5151',
      GITHUB_ACTOR: 'rita',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.commit, head);
    const blame = await runLineage(repo.dir, ['blame', 'app.js', '--json', '--api', t.url, '--token', 'r']);
    assert.equal(blame.status, 0, blame.stderr);
    const since = blame.json.lines[0].environments.find((e: any) => e.name === 'production').since;
    assert.deepEqual(since.verifiedWorkflow, { workflow: claims.job_workflow_ref, ref: 'refs/heads/main', actor: 'rita' });
    const text = await runLineage(repo.dir, ['blame', 'app.js', '--api', t.url, '--token', 'r']);
    assert.match(text.stdout, /production: .* by workflow acme\/shop\/\.github\/workflows\/deploy\.yml@refs\/heads\/main \(verified\)/);

    const evidence = await runLineage(repo.dir, [
      'evidence',
      '--deployment',
      'gha:acme/shop:5151:production',
      '--format',
      'json',
      '--api',
      t.url,
      '--token',
      'r',
    ]);
    assert.equal(evidence.status, 0, evidence.stderr);
    assert.match(
      evidence.json.items.find((i: any) => i.kind === 'deployment').summary,
      /deployed by workflow acme\/shop\/\.github\/workflows\/deploy\.yml@refs\/heads\/main on refs\/heads\/main for rita \(verified OIDC token/,
    );

    const outside = await runLineage(repo.dir, ['record-deploy', 'production', '--oidc', '--api', t.url]);
    assert.equal(outside.status, 2);
    assert.match(outside.stderr, /inside a GitHub Actions job/);
  });
});
