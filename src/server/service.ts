/**
 * `lineage serve`: the reference traceability service. Opens the store (embedded by default,
 * PostgreSQL with a URL), applies migrations, and serves the HTTP API until closed.
 */
import { createServer, type Server } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadSigner } from './audit/signer';
import { loadAttestationTrust, TrustConfigError, type AttestationTrust } from '../core/ingest/attestationTrust';
import type { AddressInfo } from 'node:net';
import type { Database } from './store/database';
import { defaultDataDir, openDatabase } from './store/openDatabase';
import { EventWriter, type EventSink } from './store/eventWriter';
import { JournaledWriter } from './store/journaledWriter';
import { migrate } from './store/migrations';
import { StatisticsKeeper } from './store/statistics';
import { isLoopback } from './http/auth';
import { createRouter } from './http/router';
import { OidcVerifier } from './http/oidc';
import { type ConnectionLimits, defaultConnectionLimits, guardConnections } from './http/connectionGuard';

export interface ServiceOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  databaseUrl?: string;
  readToken?: string;
  writeToken?: string;
  githubSecret?: string;
  /** A token that may only send Argo CD notifications (POST /v1/webhooks/argocd). */
  argocdToken?: string;
  /** The secret GitLab's webhooks send as X-Gitlab-Token (POST /v1/webhooks/gitlab). */
  gitlabToken?: string;
  /** OIDC issuers whose CI job tokens may send deployments (e.g. https://token.actions.githubusercontent.com), and the audience they must name. */
  oidcIssuers?: string[];
  oidcAudience?: string;
  /**
   * The Ed25519 private key (PEM) that signs chain checkpoints; made there on first start. Default:
   * signing-key.pem in the data folder, else in ~/.lineage (PostgreSQL without a data folder).
   */
  signingKey?: string;
  /** A Sigstore trusted_root.json and PEM public keys that attestation signatures are verified against. */
  trustedRoot?: string;
  trustedKeys?: string[];
  maxBodyBytes?: number;
  /** Open connections in all and from one address (defaults 4096 and 1024). */
  connectionLimits?: Partial<ConnectionLimits>;
  /** Facts older than `windowMs` leave the hot tables, hourly, after their export to `archiveDir` verified. */
  retention?: { windowMs: number; archiveDir: string };
  /** Validate every response against its schema before sending; default from LINEAGE_VALIDATE_RESPONSES=1. */
  validateResponses?: boolean;
  log?: (message: string) => void;
}

export interface RunningService {
  url: string;
  port: number;
  db: Database;
  /** Runs a retention pass now (when --retain is set) and waits for it. */
  retentionPass(): Promise<void>;
  close(): Promise<void>;
}

export const serviceVersion = '0.1.0';
export const defaultPort = 7420;
export const defaultMaxBodyBytes = 16 * 1024 * 1024;

export class ServiceConfigError extends Error {
  override name = 'ServiceConfigError';
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopback(host);
}

function loadTrust(options: ServiceOptions): AttestationTrust {
  try {
    return loadAttestationTrust({ trustedRoot: options.trustedRoot, keys: options.trustedKeys });
  } catch (e) {
    if (e instanceof TrustConfigError) throw new ServiceConfigError(e.message);
    throw e;
  }
}

export async function startService(options: ServiceOptions = {}): Promise<RunningService> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  if (!isLoopbackHost(host) && !(options.readToken && options.writeToken)) {
    throw new ServiceConfigError(
      `refusing to listen on ${host} without both a read and a write token; set --read-token and --write-token (or LINEAGE_READ_TOKEN and LINEAGE_WRITE_TOKEN), or listen on 127.0.0.1`,
    );
  }
  const keyFile = options.signingKey ?? join(options.dataDir ?? join(homedir(), '.lineage'), 'signing-key.pem');
  const attestationTrust = loadTrust(options);
  const { signer, created } = loadSigner(keyFile, true);
  if (created) log(`lineage serve: made a checkpoint signing key in ${keyFile} (key id ${signer.keyId}); keep it apart from the database`);
  const db = await openDatabase({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  const statistics = new StatisticsKeeper(db);
  const analyzeFailed = (e: unknown) => log(`ANALYZE failed: ${(e as Error).message}`);
  await statistics.start(analyzeFailed);
  const store = new EventWriter(db, signer, undefined, (stored) => {
    statistics.afterWrite(stored).catch(analyzeFailed);
  });
  // The embedded store takes deliveries through its intake journal; PostgreSQL commits each
  // request's events before answering, as several services may share it.
  let writer: EventSink & { close?(): Promise<void> } = store;
  if (db.kind === 'embedded') {
    try {
      writer = await JournaledWriter.open(
        store,
        db,
        join(options.dataDir ?? defaultDataDir, 'intake'),
        signer.secretFor('intake journal'),
        log,
      );
    } catch (e) {
      await statistics.settled();
      await db.close().catch(() => undefined);
      throw e;
    }
  }
  const server: Server = createServer(
    { connectionsCheckingInterval: 1_000, headersTimeout: 10_000, requestTimeout: 60_000 },
    createRouter({
      db,
      signer,
      writer,
      access: { readToken: options.readToken, writeToken: options.writeToken },
      githubSecret: options.githubSecret,
      argocdToken: options.argocdToken,
      gitlabToken: options.gitlabToken,
      oidc: options.oidcIssuers?.length
        ? new OidcVerifier({ issuers: options.oidcIssuers, audience: options.oidcAudience ?? 'code-lineage' })
        : undefined,
      attestationTrust,
      maxBodyBytes: options.maxBodyBytes ?? defaultMaxBodyBytes,
      version: serviceVersion,
      validateResponses: options.validateResponses ?? process.env.LINEAGE_VALIDATE_RESPONSES === '1',
      log,
    }),
  );
  // A client gets 10 s to send its headers and 60 s for the whole request; an idle keep-alive
  // connection lasts 65 s (longer than the usual load balancer's 60, so it closes first), and the
  // checks run every second. Past the connection bounds, idle connections make room.
  server.keepAliveTimeout = 65_000;
  guardConnections(server, { ...defaultConnectionLimits, ...options.connectionLimits });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? defaultPort, host, () => resolve());
  }).catch(async (e: unknown) => {
    await writer.close?.();
    await statistics.settled();
    await db.close().catch(() => undefined);
    throw e;
  });
  const port = (server.address() as AddressInfo).port;
  // Retention runs in the background: at start and hourly, one pass at a time.
  let retaining: Promise<void> | null = null;
  const retentionPass = () => {
    if (!options.retention || retaining) return;
    const { windowMs, archiveDir } = options.retention;
    retaining = import('./audit/retention')
      .then(({ retain }) => retain(db, signer, { windowMs, archiveDir, trust: attestationTrust }))
      .then((r) =>
        log(
          r.cut === null
            ? `lineage serve: retention: ${r.reason}`
            : `lineage serve: retention: entries up to ${r.cut} exported to ${r.exported}, verified, and moved out (${Object.entries(
                r.removed,
              )
                .filter(([, n]) => n > 0)
                .map(([t, n]) => `${n} ${t}`)
                .join(', ')})`,
        ),
      )
      .catch((e: unknown) => log(`lineage serve: retention failed: ${(e as Error).message}`))
      .finally(() => (retaining = null));
  };
  const retentionTimer = options.retention ? setInterval(retentionPass, 3_600_000) : null;
  retentionTimer?.unref();
  retentionPass();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    db,
    retentionPass: async () => {
      retentionPass();
      await retaining;
    },
    async close() {
      if (retentionTimer) clearInterval(retentionTimer);
      await retaining;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await writer.close?.();
      await statistics.settled();
      await db.close();
    },
  };
}
