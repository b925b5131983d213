/** Opens the store a service is configured with: the embedded folder, or a PostgreSQL server. */
import type { Database } from './database';

export interface StoreOptions {
  /** Folder of the embedded store; created when missing. */
  dataDir?: string;
  /** A postgres:// URL; when set, the embedded store is not used. */
  databaseUrl?: string;
}

export const defaultDataDir = '.lineage-data';

/** Loads only the driver in use: the CLI's other commands never pay for PGlite's start-up. */
export async function openDatabase(options: StoreOptions): Promise<Database> {
  if (options.databaseUrl) {
    // require, not import(): loaded on demand in the CommonJS bundle and under the test runner alike.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { openPostgres } = require('./postgresDatabase') as typeof import('./postgresDatabase');
    return openPostgres(options.databaseUrl);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openEmbedded } = require('./embeddedDatabase') as typeof import('./embeddedDatabase');
  return openEmbedded(options.dataDir ?? defaultDataDir);
}
