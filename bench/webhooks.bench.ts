/**
 * `npm run bench:webhooks [-- --deliveries N --connections N]`: GitHub webhook deliveries as GitHub
 * sends them, one per request (signed with X-Hub-Signature-256), over 32 connections, into the
 * service started as its own process: the embedded store, and PostgreSQL when
 * LINEAGE_TEST_DATABASE_URL or DATABASE_URL names a server (scripts/with-postgres.sh sets one). The payloads are GitHub's recorded `deployment_status` examples
 * (@octokit/webhooks-examples), each made a distinct deployment. Afterwards every acknowledged
 * delivery must be in the store and the audit chain must verify.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { freshPostgres } from './freshPostgres';
import { startService } from './spawnService';

const { values } = parseArgs({ options: { deliveries: { type: 'string' }, connections: { type: 'string' } } });
const deliveries = Number(values.deliveries ?? 8000);
const connections = Number(values.connections ?? 32);
const secret = 'bench-webhook-secret';

const examples = (
  JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')) as { name: string; examples: Record<string, unknown>[] }[]
).find((g) => g.name === 'deployment_status')!.examples;

/** The `i`th delivery: a recorded payload made a deployment and status of its own. */
function delivery(i: number): string {
  const payload = structuredClone(examples[i % examples.length]!) as {
    deployment: { id: number; created_at: string };
    deployment_status: { id: number; created_at: string; updated_at: string };
  };
  const at = new Date(Date.parse('2026-01-01T00:00:00Z') + i * 1000).toISOString();
  payload.deployment.id = 10_000_000 + i;
  payload.deployment.created_at = at;
  payload.deployment_status.id = 20_000_000 + i;
  payload.deployment_status.created_at = at;
  payload.deployment_status.updated_at = at;
  return JSON.stringify(payload);
}

async function run(store: { dataDir?: string; databaseUrl?: string }, label: string): Promise<void> {
  process.env.LINEAGE_GITHUB_WEBHOOK_SECRET = secret;
  const service = await startService(store);
  const agent = new Agent({ connections });
  try {
    // Signing is the sender's work (GitHub's), done before the clock starts so that the load
    // generator, which shares this machine's cores with the service, takes less of them.
    const bodies = Array.from({ length: deliveries }, (_, i) => {
      const body = delivery(i);
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'deployment_status',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
        },
      };
    });
    let next = 0;
    let acknowledged = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < bodies.length) {
          const { body, headers } = bodies[next++]!;
          const res = await request(`${service.url}/v1/webhooks/github`, { method: 'POST', body, dispatcher: agent, headers });
          const text = await res.body.text();
          if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${text.slice(0, 300)}`);
          // A delivery the store had already would be measured as a cheap duplicate, not an ingest.
          if ((JSON.parse(text) as { accepted?: number }).accepted !== 1) throw new Error(`not stored as new: ${text.slice(0, 300)}`);
          acknowledged++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    // A read waits until the store holds every acknowledged delivery: this is when all are queryable.
    const health = (await (await request(`${service.url}/v1/health`, { dispatcher: agent })).body.json()) as { events?: number };
    const inStore = (performance.now() - started) / 1000;
    const audit = await request(`${service.url}/v1/audit/verify`, { dispatcher: agent });
    const verdict = (await audit.body.json()) as { ok?: boolean; entries?: number };
    console.log(
      `${label.padEnd(22)} ${acknowledged} deliveries acknowledged in ${seconds.toFixed(2)} s: ${Math.round(acknowledged / seconds)}/s; ` +
        `all queryable after ${inStore.toFixed(2)} s: ${Math.round(acknowledged / inStore)}/s ` +
        `(stored ${health.events ?? '?'}, audit chain ${verdict.ok ? 'verified' : 'NOT verified'} over ${verdict.entries ?? '?'} entries)`,
    );
    if (health.events !== undefined && health.events < acknowledged)
      throw new Error(`${acknowledged - health.events} acknowledged deliveries are missing`);
    if (!verdict.ok) throw new Error('the audit chain does not verify');
  } finally {
    await agent.close();
    await service.close();
  }
}

async function main(): Promise<void> {
  console.log(`GitHub deployment_status webhooks, one per request, ${connections} connections, ${deliveries} deliveries`);
  const scratch = mkdtempSync(join(tmpdir(), 'lineage-webhooks-bench-'));
  try {
    await run({ dataDir: join(scratch, 'data') }, 'embedded store');
    const postgres = process.env.LINEAGE_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
    if (postgres) await run({ databaseUrl: await freshPostgres(postgres) }, 'PostgreSQL');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
