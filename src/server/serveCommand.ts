/** `lineage serve` flags and process lifecycle; shared by the CLI and dist/server.js. */
import { delimiter, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultMaxBodyBytes, defaultPort, ServiceConfigError, startService } from './service';

export const serveUsage = `usage: lineage serve [--host 127.0.0.1] [--port 7420] [--data <dir>] [--database-url <postgres url>]
                     [--read-token T] [--write-token T] [--github-secret S] [--gitlab-token T] [--argocd-token T] [--oidc-issuer URL]... [--oidc-audience A] [--max-body-bytes N]
                     [--signing-key FILE] [--trusted-root FILE] [--trusted-key FILE]... [--retain 400d --archive DIR]

  --data           folder of the embedded store (default ./.lineage-data; env LINEAGE_DATA)
  --database-url   use PostgreSQL instead of the embedded store (env DATABASE_URL)
  --read-token     token for queries (env LINEAGE_READ_TOKEN)
  --write-token    token for ingest; also reads (env LINEAGE_WRITE_TOKEN)
  --github-secret  GitHub webhook secret for X-Hub-Signature-256 (env LINEAGE_GITHUB_WEBHOOK_SECRET)
  --gitlab-token   the secret token of GitLab's webhooks (X-Gitlab-Token) for POST /v1/webhooks/gitlab
                   (env LINEAGE_GITLAB_WEBHOOK_TOKEN)
  --argocd-token   token Argo CD's notifications send (Authorization: Bearer) to POST /v1/webhooks/argocd,
                   which accepts nothing else with it (env LINEAGE_ARGOCD_TOKEN)
  --oidc-issuer    an OIDC issuer whose CI job tokens may send deployments to POST /v1/events in place
                   of the write token, e.g. https://token.actions.githubusercontent.com; repeatable
                   (env LINEAGE_OIDC_ISSUERS, comma-separated)
  --oidc-audience  the audience those tokens must name (default code-lineage; env LINEAGE_OIDC_AUDIENCE)
  --signing-key    Ed25519 private key (PEM) that signs audit checkpoints; made there when missing
                   (default <data>/signing-key.pem; env LINEAGE_SIGNING_KEY)
  --trusted-root   Sigstore trusted_root.json that attestation bundles are verified against
                   (env LINEAGE_TRUSTED_ROOT); without it and --trusted-key, signed attestations
                   are stored as "unverified"
  --trusted-key    [KEYID=]FILE, a PEM public key that signs DSSE envelopes or key-based bundles
                   (KEYID: the id envelopes name it by); repeatable
                   (env LINEAGE_TRUSTED_KEYS, paths separated by ${delimiter})
  --retain         keep this long in the hot tables (e.g. 400d, 12h; units d, h, m, s); older facts are
                   moved out hourly, each time only after their export to --archive was written and
                   verified (env LINEAGE_RETAIN)
  --archive        the directory each cut's export is written to (env LINEAGE_ARCHIVE)
Without tokens the service answers loopback clients only.`;

/** A duration such as 400d, 12h, 30m or 90s, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(d|h|m|s)$/.exec(text.trim());
  if (!m) throw new ServiceConfigError(`--retain must be a duration such as 400d, 12h, 30m or 90s, got "${text}"`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's'];
  return Number(m[1]) * unit;
}

export async function runServe(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      'database-url': { type: 'string' },
      'read-token': { type: 'string' },
      'write-token': { type: 'string' },
      'github-secret': { type: 'string' },
      'argocd-token': { type: 'string' },
      'gitlab-token': { type: 'string' },
      'oidc-issuer': { type: 'string', multiple: true },
      'oidc-audience': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'signing-key': { type: 'string' },
      'trusted-root': { type: 'string' },
      'trusted-key': { type: 'string', multiple: true },
      retain: { type: 'string' },
      archive: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${serveUsage}\n`);
    return;
  }
  const port = values.port === undefined ? defaultPort : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got "${values.port}"`);
  const maxBody = values['max-body-bytes'] === undefined ? defaultMaxBodyBytes : Number(values['max-body-bytes']);
  if (!Number.isInteger(maxBody) || maxBody < 1024) throw new Error('--max-body-bytes must be an integer of at least 1024');
  const databaseUrl = values['database-url'] ?? env.DATABASE_URL;
  const retain = values.retain ?? env.LINEAGE_RETAIN;
  const archive = values.archive ?? env.LINEAGE_ARCHIVE;
  if (retain && !archive)
    throw new ServiceConfigError(
      '--retain needs --archive DIR: facts leave the store only after their export there was written and verified',
    );
  if (archive && !retain) throw new ServiceConfigError('--archive is where --retain writes its exports; give --retain too');
  const dataDir = resolve(values.data ?? env.LINEAGE_DATA ?? '.lineage-data');
  const service = await startService({
    host: values.host ?? '127.0.0.1',
    port,
    dataDir,
    databaseUrl,
    readToken: values['read-token'] ?? env.LINEAGE_READ_TOKEN,
    writeToken: values['write-token'] ?? env.LINEAGE_WRITE_TOKEN,
    githubSecret: values['github-secret'] ?? env.LINEAGE_GITHUB_WEBHOOK_SECRET,
    argocdToken: values['argocd-token'] ?? env.LINEAGE_ARGOCD_TOKEN,
    gitlabToken: values['gitlab-token'] ?? env.LINEAGE_GITLAB_WEBHOOK_TOKEN,
    oidcIssuers:
      values['oidc-issuer'] ??
      env.LINEAGE_OIDC_ISSUERS?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    oidcAudience: values['oidc-audience'] ?? env.LINEAGE_OIDC_AUDIENCE,
    maxBodyBytes: maxBody,
    trustedRoot: values['trusted-root'] ?? env.LINEAGE_TRUSTED_ROOT,
    trustedKeys: values['trusted-key'] ?? env.LINEAGE_TRUSTED_KEYS?.split(delimiter).filter(Boolean),
    signingKey: resolve(values['signing-key'] ?? env.LINEAGE_SIGNING_KEY ?? join(dataDir, 'signing-key.pem')),
    retention: retain && archive ? { windowMs: parseDuration(retain), archiveDir: resolve(archive) } : undefined,
  });
  const store = databaseUrl ? 'PostgreSQL' : `embedded store in ${dataDir}`;
  process.stdout.write(`lineage serve: listening on ${service.url} (${store})\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`lineage serve: ${signal}, stopping\n`);
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
