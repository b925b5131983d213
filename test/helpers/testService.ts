/**
 * Starts the real service over real HTTP for a test, on a fresh store: a copy of a migrated
 * embedded template (initialising PGlite costs seconds; copying a folder does not), or a new
 * database on the PostgreSQL server named by LINEAGE_TEST_DATABASE_URL.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ApiClient } from '../../src/core/sources/apiClient';
import { openDatabase } from '../../src/server/store/openDatabase';
import { migrate } from '../../src/server/store/migrations';
import { type RunningService, type ServiceOptions, startService } from '../../src/server/service';

export type Backend = 'embedded' | 'postgres';

// Services the tests spawn as processes check their responses too.
process.env.LINEAGE_VALIDATE_RESPONSES = '1';

export const postgresUrl = process.env.LINEAGE_TEST_DATABASE_URL;

/** The backends this run covers; CI sets LINEAGE_REQUIRE_POSTGRES so a missing server fails loudly. */
export function backends(): Backend[] {
  if (!postgresUrl && process.env.LINEAGE_REQUIRE_POSTGRES) {
    throw new Error('LINEAGE_REQUIRE_POSTGRES is set but LINEAGE_TEST_DATABASE_URL is not');
  }
  return postgresUrl ? ['embedded', 'postgres'] : ['embedded'];
}

const root = mkdtempSync(join(tmpdir(), 'lineage-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
let template: Promise<string> | undefined;
let counter = 0;

async function embeddedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = join(root, 'template');
    const db = await openDatabase({ dataDir: dir });
    await migrate(db);
    await db.close();
    return dir;
  })();
  return template;
}

/** A fresh, migrated store location: a data folder or a database URL. */
export async function freshStore(backend: Backend): Promise<{ dataDir?: string; databaseUrl?: string; signingKey?: string }> {
  // Taken before any await: concurrent callers must never share a name.
  const id = ++counter;
  if (backend === 'embedded') {
    const dir = join(root, `store-${process.pid}-${id}`);
    cpSync(await embeddedTemplate(), dir, { recursive: true });
    return { dataDir: dir };
  }
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  const name = `lineage_test_${process.pid}_${id}_${Date.now()}`;
  try {
    await createDatabase(admin, name);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  return { databaseUrl: url.toString(), signingKey: join(root, `signing-key-${process.pid}-${id}.pem`) };
}

/** CREATE DATABASE copies template1, which PostgreSQL refuses while another copy of it is under way. */
async function createDatabase(admin: pg.Client, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name}`);
      return;
    } catch (error) {
      const busy = /being accessed by other users/.test((error as Error).message);
      if (!busy || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 + attempt * 50));
    }
  }
}

export interface TestService {
  service: RunningService;
  url: string;
  client: ApiClient;
  store: { dataDir?: string; databaseUrl?: string; signingKey?: string };
  close(): Promise<void>;
}

export async function startTestService(backend: Backend, options: ServiceOptions = {}, store?: TestService['store']): Promise<TestService> {
  const location = store ?? (await freshStore(backend));
  const service = await startService({ port: 0, log: () => undefined, validateResponses: true, ...location, ...options });
  const client = new ApiClient({ baseUrl: service.url, token: options.writeToken, retries: 0, timeoutMs: 30_000 });
  return {
    service,
    url: service.url,
    client,
    store: location,
    async close() {
      await client.close();
      await service.close();
    },
  };
}

/** Real data from real tools, copied with source and licence (test/fixtures/README.md). */
export function fixturesDir(): string {
  return join(__dirname, '../fixtures');
}

/** A plain HTTP call, for asserting status codes and problem documents exactly. */
export async function http(
  url: string,
  init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    body: init.body,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
