/** `lineage record-deploy`: writes a git-native deployment record (an annotated deploy tag). */
import { parseArgs } from 'node:util';
import { deployTagName } from '../core/sources/deployTags';
import { digestFrom } from '../core/ingest/values';
import { openCheckout } from './checkout';
import { apiUrlFrom, UsageError } from './usageError';

export const recordDeployUsage = `usage: lineage record-deploy <environment> [<rev>] [--artifact sha256:…] [--kind deploy|rollback|hotfix] [--reason TEXT] [--at ISO-TIME] [--json]
       lineage record-deploy <environment> --oidc [--api URL] [--audience A] [--artifact sha256:…] [--kind …] [--reason TEXT] [--json]

Tags <rev> (default HEAD) as deploy/<environment>/<UTC timestamp>; push it with
git push origin 'refs/tags/deploy/*'.

--oidc, inside a GitHub Actions job with "permissions: id-token: write", sends the deployment of
the job's commit (GITHUB_SHA) to the service instead, with the job's OIDC token for the audience
(default code-lineage) as its credential: the service verifies it and keeps who deployed, from
which workflow and ref (lineage serve --oidc-issuer https://token.actions.githubusercontent.com).`;

export async function runRecordDeploy(argv: string[], out: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      artifact: { type: 'string' },
      kind: { type: 'string' },
      reason: { type: 'string' },
      at: { type: 'string' },
      json: { type: 'boolean' },
      oidc: { type: 'boolean' },
      api: { type: 'string' },
      audience: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(recordDeployUsage);
    return;
  }
  const [environment, rev = 'HEAD', ...extra] = positionals;
  if (!environment || extra.length > 0) throw new UsageError('record-deploy needs an environment and at most one revision');
  if (values.kind && !['deploy', 'rollback', 'hotfix'].includes(values.kind))
    throw new UsageError('--kind must be deploy, rollback or hotfix');
  if (values.kind === 'hotfix' && !values.reason) throw new UsageError('a hotfix needs --reason (its exemption reason)');
  const digest = values.artifact === undefined ? null : digestFrom(values.artifact);
  if (values.artifact !== undefined && !digest) throw new UsageError('--artifact must be a digest like sha256:<64 hex>');
  const at = values.at ? new Date(values.at) : new Date();
  if (Number.isNaN(at.getTime())) throw new UsageError(`--at must be an ISO 8601 time, got "${values.at}"`);
  if (!/^[A-Za-z0-9_./@^~-]+$/.test(rev) || rev.startsWith('-')) throw new UsageError(`not a revision: "${rev}"`);

  if (values.oidc) {
    if (positionals.length > 1) throw new UsageError("--oidc records the job's own commit (GITHUB_SHA); give no revision");
    const recorded = await recordWithOidc(environment, { ...values, digest, at }, env);
    out(
      values.json
        ? JSON.stringify(recorded, null, 2)
        : `${recorded.environment} <- ${recorded.commit} (deployment ${recorded.deploymentId}, verified by the service)`,
    );
    return;
  }
  const repo = await openCheckout();
  let commit: string;
  try {
    commit = (await repo.run(['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`])).trim();
  } catch {
    throw new UsageError(`unknown revision "${rev}"`);
  }
  let tag: string;
  try {
    tag = deployTagName(environment, at);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const message = [
    `deploy ${commit.slice(0, 12)} to ${environment}`,
    '',
    ...(values.kind && values.kind !== 'deploy' ? [`kind: ${values.kind}`] : []),
    ...(values.reason ? [`reason: ${values.reason.replace(/\n/g, ' ')}`] : []),
    ...(digest ? [`artifact: ${digest}`] : []),
  ].join('\n');
  await repo.run(['tag', '--no-sign', '-a', '-m', message, tag, commit]);
  if (values.json)
    out(JSON.stringify({ tag, commit, environment, kind: values.kind ?? 'deploy', artifact: digest, at: at.toISOString() }, null, 2));
  else out(`${tag} -> ${commit}`);
}

/**
 * The job's OIDC token from GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, present when
 * the job may write id-token), then the deployment of GITHUB_SHA sent with it as the credential.
 */
async function recordWithOidc(
  environment: string,
  options: { api?: string; audience?: string; kind?: string; reason?: string; digest: string | null; at: Date },
  env: NodeJS.ProcessEnv,
) {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new UsageError(
      '--oidc runs inside a GitHub Actions job with "permissions: id-token: write" (ACTIONS_ID_TOKEN_REQUEST_URL is not set)',
    );
  }
  const repo = env.GITHUB_REPOSITORY;
  const commit = env.GITHUB_SHA;
  const runId = env.GITHUB_RUN_ID;
  if (!repo || !commit || !runId) throw new UsageError('--oidc needs GITHUB_REPOSITORY, GITHUB_SHA and GITHUB_RUN_ID, which Actions sets');
  const api = apiUrlFrom(options.api, env, 'record-deploy --oidc');
  const tokenUrl = new URL(requestUrl);
  tokenUrl.searchParams.set('audience', options.audience ?? 'code-lineage');
  const tokenRes = await fetch(tokenUrl, { headers: { authorization: `Bearer ${requestToken}` }, signal: AbortSignal.timeout(10_000) });
  if (!tokenRes.ok) throw new Error(`GitHub Actions would not issue an OIDC token (HTTP ${tokenRes.status})`);
  const { value: token } = (await tokenRes.json()) as { value?: string };
  if (!token) throw new Error('GitHub Actions answered without an OIDC token');
  const attempt = env.GITHUB_RUN_ATTEMPT ?? '1';
  const deployment = {
    type: 'deployment',
    id: `gha-oidc:${repo}:${runId}:${attempt}:${environment}`,
    repo,
    deploymentId: `gha:${repo}:${runId}:${environment}`,
    environment,
    commit,
    ...(options.digest ? { artifact: options.digest } : {}),
    at: options.at.toISOString(),
    ...(env.GITHUB_ACTOR ? { actor: env.GITHUB_ACTOR } : {}),
    kind: options.kind ?? 'deploy',
    ...(options.reason ? { reason: options.reason } : {}),
    runId,
  };
  const { ApiClient } = await import('../core/sources/apiClient');
  const client = new ApiClient({ baseUrl: api, token, retries: 1, timeoutMs: 30_000 });
  try {
    await client.ingest('events', JSON.stringify(deployment));
  } finally {
    await client.close();
  }
  return { environment, commit, deploymentId: deployment.deploymentId, repo, runId };
}
