/**
 * The demo's world: its repository, the service on the embedded store, and the event stream fed
 * to it. Shared by `lineage demo` and the extension-host run that pictures the product on it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../core/sources/apiClient';
import { startService } from '../../server/service';
import { buildDemoRepo, type DemoRepo } from './demoRepo';
import { demoStream } from './demoEvents';

export interface DemoWorld {
  repo: DemoRepo;
  url: string;
  /** Events the service stored. */
  stored: number;
  client: ApiClient;
  close(): Promise<void>;
}

/** Builds `root/shop-api`, starts the service on `root/data` (emptied first) and feeds it. */
export async function startDemoWorld(root: string, port: number, onStep: (line: string) => void = () => undefined): Promise<DemoWorld> {
  const repo = buildDemoRepo(join(root, 'shop-api'));
  const dataDir = join(root, 'data');
  rmSync(dataDir, { recursive: true, force: true });
  onStep('Starting the service on the embedded store …');
  const service = await startService({ port, dataDir });
  const client = new ApiClient({ baseUrl: service.url, timeoutMs: 30_000 });
  try {
    const stream = demoStream(repo);
    const sent = [
      await client.ingest('events', JSON.stringify(stream.events)),
      await client.ingest('events', JSON.stringify(stream.cdevents)),
      await client.ingest('attestations', JSON.stringify(stream.attestations)),
      await client.ingest('sarif', JSON.stringify(stream.sarif.log), { repo: repo.slug, environment: 'production' }),
    ];
    return {
      repo,
      url: service.url,
      stored: sent.reduce((n, r) => n + r.accepted, 0),
      client,
      close: async () => {
        await client.close();
        await service.close();
      },
    };
  } catch (e) {
    await client.close();
    await service.close();
    throw e;
  }
}
