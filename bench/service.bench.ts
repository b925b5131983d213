/**
 * `npm run bench:service`: ingest throughput (events/s) and query latency (p50/p99) of the real
 * service over real HTTP, on the embedded store and, when LINEAGE_TEST_DATABASE_URL or
 * DATABASE_URL names a server (scripts/with-postgres.sh sets one), on PostgreSQL.
 *
 *   --stored N[,M…]  events in the store before queries are timed (default 1,000,000); several
 *                    steps grow one store and time the queries at each, so a run shows whether
 *                    latency grows with the store (`--stored 1000000,10000000`)
 *   --ingest N       events sent for the throughput figures (default 40,000)
 *   --no-ingest      leave out the throughput figures
 *   --stores LIST    embedded, postgres or both (default: both, PostgreSQL when a server is named)
 *   --no-verify      leave out the full verification under load (minutes at a million events)
 *   --replicas N     PostgreSQL only: ingest and reads through one and through N `lineage serve`
 *                    processes sharing the database (default 3; 0 leaves it out)
 *
 * The service runs as its own process (dist/cli.js serve), as in production, so the load generator
 * does not share its core. Seeding the store uses the service's own writer in-process (the same
 * code path as ingest, minus HTTP), because sending a million events over HTTP only re-measures the
 * throughput figure.
 */

import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { normalizeNative } from '../src/core/ingest/native';
import { EventWriter } from '../src/server/store/eventWriter';
import { openDatabase } from '../src/server/store/openDatabase';
import { migrate } from '../src/server/store/migrations';
import { syntheticStream } from '../test/helpers/streams';
import { loadSigner, signerFromKey } from '../src/server/audit/signer';
import { freshPostgres } from './freshPostgres';
import { type Spawned, startService } from './spawnService';

const { values } = parseArgs({
  options: {
    stored: { type: 'string' },
    ingest: { type: 'string' },
    'no-ingest': { type: 'boolean' },
    stores: { type: 'string' },
    'no-verify': { type: 'boolean' },
    replicas: { type: 'string' },
  },
});
const storedSteps = (values.stored ?? '1000000').split(',').map((n) => Number(n.replace(/_/g, '')));
if (storedSteps.some((n, i) => !Number.isSafeInteger(n) || n <= 0 || (i > 0 && n <= storedSteps[i - 1]!)))
  throw new Error(`--stored takes growing event counts separated by commas, not ${values.stored}`);
const storedTarget = storedSteps.at(-1)!;
const stores = (values.stores ?? 'embedded,postgres').split(',');
const replicaCount = Number(values.replicas ?? 3);
const ingestCount = Number(values.ingest ?? 40_000);
const releasesPerRepo = 500;

function streamFor(repoIndex: number, prefix: string): object[] {
  return syntheticStream(`${prefix}/repo-${repoIndex}`, releasesPerRepo);
}

/** Events of one synthetic repository: the store is seeded a repository at a time. */
const eventsPerRepo = streamFor(0, 'seed').length;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function post(agent: Agent, url: string, body: string): Promise<void> {
  const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${text.slice(0, 300)}`);
}

async function ingestThroughput(url: string, prefix: string): Promise<{ batched: number; single: number }> {
  const agent = new Agent({ connections: 32 });
  const events = eventsOf(`${prefix}-batch`, ingestCount);
  // Batches of 500, four in flight: a CI system or a backfill.
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < events.length) {
        const slice = events.slice(next, (next += 500));
        await post(agent, `${url}/v1/events`, JSON.stringify(slice));
      }
    }),
  );
  const batched = events.length / ((performance.now() - started) / 1000);
  // One event a request, 32 senders: webhooks arriving from many tools at once.
  const single = await oneARequest(agent, [url], eventsOf(`${prefix}-single`, Math.floor(ingestCount / 4)));
  await agent.close();
  return { batched, single };
}

/** The first `count` events of the synthetic repositories `<prefix>/repo-0`, `-1`, … */
function eventsOf(prefix: string, count: number): object[] {
  const events: object[] = [];
  for (let r = 0; events.length < count; r++) events.push(...streamFor(r, prefix));
  events.length = count;
  return events;
}

/** Events per second sent one a request by 32 senders, spread round-robin over `urls`. */
async function oneARequest(agent: Agent, urls: string[], events: object[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < events.length) {
        const i = next++;
        await post(agent, `${urls[i % urls.length]!}/v1/events`, JSON.stringify(events[i]));
      }
    }),
  );
  return events.length / ((performance.now() - started) / 1000);
}

interface ReplicaFigures {
  ingest: number;
  reads: number;
  entries: number;
}

/**
 * `count` replicas of the service on one PostgreSQL database and one signing key, as a team runs
 * them behind a load balancer (the load generator spreads requests over them round-robin): events
 * per second sent one a request by 32 senders, then reads per second (environments and a
 * deployment history page, 32 readers for five seconds); afterwards the audit chain must be one
 * contiguous sequence that verifies, holding every event sent.
 */
async function throughReplicas(base: string, scratch: string, count: number): Promise<ReplicaFigures> {
  const store = { databaseUrl: await freshPostgres(base), signingKey: join(scratch, `replicas-${count}-key.pem`) };
  loadSigner(store.signingKey, true); // one key for all, made before any of them starts
  const services: Spawned[] = [];
  for (let i = 0; i < count; i++) services.push(await startService(store));
  const agent = new Agent({ connections: 32 });
  try {
    const singles = eventsOf(`replicas-${count}`, 12_000);
    const ingest = await oneARequest(
      agent,
      services.map((r) => r.url),
      singles,
    );
    let reads = 0;
    const started = performance.now();
    const until = started + 5_000;
    await Promise.all(
      Array.from({ length: 32 }, async (_, reader) => {
        for (let i = reader; performance.now() < until; i += 32) {
          const repo = `replicas-${count}/repo-${i % 3}`;
          const path = i % 2 ? `/v1/repos/${repo}/environments` : `/v1/repos/${repo}/environments/production/deployments`;
          const res = await request(`${services[i % count]!.url}${path}`, { dispatcher: agent });
          await res.body.text();
          if (res.statusCode !== 200) throw new Error(`read through replica: ${res.statusCode}`);
          reads++;
        }
      }),
    );
    const readRate = reads / ((performance.now() - started) / 1000);
    const res = await request(`${services[0]!.url}/v1/audit/verify`, { dispatcher: agent });
    const verdict = (await res.body.json()) as { ok: boolean; entries: number; reason: string | null };
    if (!verdict.ok) throw new Error(`the chain written by ${count} replicas does not verify: ${verdict.reason}`);
    if (verdict.entries !== singles.length) throw new Error(`${count} replicas: ${verdict.entries} entries for ${singles.length} events`);
    return { ingest, reads: readRate, entries: verdict.entries };
  } finally {
    await agent.close();
    for (const s of services) await s.close();
  }
}

/** Grows the store from `from` events (whole repositories of the synthetic stream) to about `target`. */
async function seed(
  location: { dataDir?: string; databaseUrl?: string; signingKey: string },
  from: number,
  target: number,
): Promise<number> {
  const db = await openDatabase(location);
  await migrate(db);
  // Signed with the key the service will start with, so its verification holds.
  const writer = new EventWriter(db, loadSigner(location.signingKey, true).signer, 20_000);
  let stored = from;
  const started = performance.now();
  for (let r = from / eventsPerRepo; stored < target; r++) {
    const events = streamFor(r, 'seed').map((e) => {
      const raw = JSON.stringify(e);
      return normalizeNative(JSON.parse(raw), raw);
    });
    for (let i = 0; i < events.length; i += 20_000) await writer.write(events.slice(i, i + 20_000));
    stored += events.length;
    if (r % 20 === 19)
      process.stderr.write(`  seeded ${stored} events (${Math.round((stored - from) / ((performance.now() - started) / 1000))}/s)\n`);
  }
  await db.close();
  return stored;
}

async function queryLatencies(url: string, repos: number): Promise<Record<string, { p50: number; p99: number }>> {
  const agent = new Agent({ connections: 1 });
  const sample = syntheticStream('seed/repo-0', releasesPerRepo) as any[];
  const commits = sample.filter((e) => e.type === 'build').map((e) => e.commit as string);
  const digests = sample.filter((e) => e.type === 'artifact').map((e) => e.digest as string);
  const pick = <T>(list: T[], i: number) => list[(i * 7919) % list.length]!;
  const repoOf = (i: number) => `seed/repo-${(i * 31) % repos}`;
  const queries: Record<string, (i: number) => { method: 'GET' | 'POST'; path: string; body?: string }> = {
    'environments of a repository': (i) => ({ method: 'GET', path: `/v1/repos/${repoOf(i)}/environments` }),
    'deployment history page (50)': (i) => ({ method: 'GET', path: `/v1/repos/${repoOf(i)}/environments/production/deployments` }),
    'lineage of 100 commits': (i) => ({
      method: 'POST',
      path: `/v1/repos/seed/repo-0/lineage`,
      body: JSON.stringify({ commits: Array.from({ length: 100 }, (_, k) => pick(commits, i + k)) }),
    }),
    'open findings on a path': (i) => ({
      method: 'GET',
      path: `/v1/repos/${repoOf(i)}/findings?status=open&path=src/file${i % 3}.js&limit=50`,
    }),
    'finding by id': (i) => ({ method: 'GET', path: `/v1/findings/${encodeURIComponent(`seed/repo-0-f${1 + (i % releasesPerRepo)}`)}` }),
    'artifact by digest': (i) => ({ method: 'GET', path: `/v1/artifacts/${pick(digests, i)}` }),
  };
  const results: Record<string, { p50: number; p99: number }> = {};
  for (const [name, make] of Object.entries(queries)) {
    const times: number[] = [];
    for (let i = 0; i < 1100; i++) {
      const q = make(i);
      const t0 = performance.now();
      const res = await request(`${url}${q.path}`, {
        method: q.method,
        body: q.body,
        headers: q.body ? { 'content-type': 'application/json' } : {},
        dispatcher: agent,
      });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode}`);
      if (i >= 100) times.push(performance.now() - t0); // the first hundred warm caches
    }
    times.sort((a, b) => a - b);
    results[name] = { p50: percentile(times, 50), p99: percentile(times, 99) };
  }
  // The same batch read for the first time: 100 commits of each repository once, so no answer of
  // the service's lineage cache can serve it (what a cold editor, or the first reader after a
  // write to that repository, waits for).
  const cold: number[] = [];
  for (let r = 1; r < Math.min(repos, 201); r++) {
    const own = (syntheticStream(`seed/repo-${r}`, releasesPerRepo) as any[])
      .filter((e) => e.type === 'build')
      .map((e) => e.commit as string);
    const t0 = performance.now();
    const res = await request(`${url}/v1/repos/seed/repo-${r}/lineage`, {
      method: 'POST',
      body: JSON.stringify({ commits: own.slice(0, 100) }),
      headers: { 'content-type': 'application/json' },
      dispatcher: agent,
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`lineage (first read): ${res.statusCode}`);
    cold.push(performance.now() - t0);
  }
  cold.sort((a, b) => a - b);
  if (cold.length)
    results[`lineage of 100 commits, first read (${cold.length} repositories)`] = { p50: percentile(cold, 50), p99: percentile(cold, 99) };
  await agent.close();
  return results;
}

/**
 * A full verification (chain recomputed, every served row re-derived) while 8 senders keep
 * ingesting one event a request: its time, and ingest before and during it.
 */
async function verificationUnderLoad(url: string): Promise<{ ms: number; ok: boolean; entries: number; before: Load; during: Load }> {
  const agent = new Agent({ connections: 16 });
  let phase: 'before' | 'during' | 'stop' = 'before';
  const samples: Record<'before' | 'during', number[]> = { before: [], during: [] };
  const spans: Record<'before' | 'during', number> = { before: 0, during: 0 };
  let n = 0;
  const sender = async (id: number) => {
    while (phase !== 'stop') {
      const current = phase;
      const body = JSON.stringify({
        type: 'commit',
        id: `verify-load-${id}-${n++}`,
        repo: 'bench/verify',
        sha: createHash('sha1').update(`${id}:${n}`).digest('hex'),
        message: 'load',
      });
      const t0 = performance.now();
      const res = await request(`${url}/v1/events`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
        dispatcher: agent,
      });
      await res.body.text();
      samples[current].push(performance.now() - t0);
    }
  };
  const senders = Array.from({ length: 8 }, (_, i) => sender(i));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 5_000));
  spans.before = performance.now() - t0;
  phase = 'during';
  const v0 = performance.now();
  const res = await request(`${url}/v1/audit/verify`, { dispatcher: new Agent({ headersTimeout: 3_600_000, bodyTimeout: 3_600_000 }) });
  const verdict = (await res.body.json()) as { ok: boolean; entries: number; reason: string | null };
  const ms = performance.now() - v0;
  spans.during = ms;
  phase = 'stop';
  await Promise.all(senders);
  await agent.close();
  if (!verdict.ok) throw new Error(`verification failed: ${verdict.reason}`);
  const load = (k: 'before' | 'during'): Load => {
    const sorted = [...samples[k]].sort((a, b) => a - b);
    return { rate: sorted.length / (spans[k] / 1000), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 };
  };
  return { ms, ok: verdict.ok, entries: verdict.entries, before: load('before'), during: load('during') };
}

interface Load {
  rate: number;
  p99: number;
  max: number;
}

/** What a checkpoint costs a commit: one Ed25519 signature. */
function signingCost(): number {
  const signer = signerFromKey(generateKeyPairSync('ed25519').privateKey);
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) signer.sign(i, 'a'.repeat(64));
  return ((performance.now() - t0) / n) * 1000;
}

async function benchStore(kind: 'embedded' | 'postgres', postgresBase?: string): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'lineage-bench-'));
  try {
    console.log(`\n${kind} store`);
    let service!: Awaited<ReturnType<typeof startService>>;
    if (!values['no-ingest']) {
      // Throughput on an empty store.
      const throughputStore = {
        ...(kind === 'embedded' ? { dataDir: join(scratch, 'ingest') } : { databaseUrl: await freshPostgres(postgresBase!) }),
        signingKey: join(scratch, `${kind}-ingest-key.pem`),
      };
      service = await startService(throughputStore);
      const rate = await ingestThroughput(service.url, 'bench');
      await service.close();
      console.log(`  ingest, batches of 500 over HTTP : ${Math.round(rate.batched).toLocaleString('en')} events/s`);
      console.log(`  ingest, one event a request (x32): ${Math.round(rate.single).toLocaleString('en')} events/s`);
    }

    if (kind === 'postgres' && replicaCount > 1) {
      const one = await throughReplicas(postgresBase!, scratch, 1);
      const many = await throughReplicas(postgresBase!, scratch, replicaCount);
      const row = (n: number, f: ReplicaFigures) =>
        `  ${n} replica${n > 1 ? 's' : ' '} on one database: ingest ${Math.round(f.ingest).toLocaleString('en')} events/s (one a request, x32), reads ${Math.round(f.reads).toLocaleString('en')}/s (x32); chain of ${f.entries.toLocaleString('en')} entries verified`;
      console.log(row(1, one));
      console.log(row(replicaCount, many));
      console.log(
        `  ${replicaCount} replicas / 1: ingest ${(many.ingest / one.ingest).toFixed(2)}x, reads ${(many.reads / one.reads).toFixed(2)}x (goal 2.5x ingest)`,
      );
    }

    // Queries on a store holding about each step's events, one store grown from step to step.
    const queryStore = {
      ...(kind === 'embedded' ? { dataDir: join(scratch, 'query') } : { databaseUrl: await freshPostgres(postgresBase!) }),
      signingKey: join(scratch, `${kind}-query-key.pem`),
    };
    let stored = 0;
    for (const step of storedSteps) {
      const seedStart = performance.now();
      const before = stored;
      stored = await seed(queryStore, stored, step);
      console.log(
        `  seeded ${(stored - before).toLocaleString('en')} events in ${((performance.now() - seedStart) / 1000).toFixed(0)} s (${stored.toLocaleString('en')} stored)`,
      );
      service = await startService(queryStore);
      const repos = Math.ceil(stored / eventsPerRepo);
      const latencies = await queryLatencies(service.url, repos);
      console.log(
        `  query latency over HTTP with ${stored.toLocaleString('en')} stored events in ${repos.toLocaleString('en')} repositories (1,000 requests each):`,
      );
      for (const [name, { p50, p99 }] of Object.entries(latencies)) {
        console.log(`    ${name.padEnd(30)} p50 ${p50.toFixed(2).padStart(6)} ms   p99 ${p99.toFixed(2).padStart(6)} ms`);
      }
      if (step !== storedTarget) await service.close();
    }
    if (values['no-verify']) {
      await service.close();
      return;
    }
    const v = await verificationUnderLoad(service.url);
    await service.close();
    const show = (l: Load) => `${Math.round(l.rate).toLocaleString('en')} events/s, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(0)} ms`;
    console.log(
      `  full verification of ${v.entries.toLocaleString('en')} entries (chain, checkpoints, every served row re-derived): ${(v.ms / 1000).toFixed(1)} s, ${v.ok ? 'intact' : 'BROKEN'}`,
    );
    console.log(`    ingest (8 senders, one event a request) before: ${show(v.before)}`);
    console.log(`    ingest during the verification             : ${show(v.during)}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `Code Lineage service benchmark: ${storedTarget.toLocaleString('en')} stored events, ${ingestCount.toLocaleString('en')} ingested`,
  );
  console.log('Goals: ≥ 4,000 events/s embedded, ≥ 10,000 events/s PostgreSQL, query p99 ≤ 10 ms');
  console.log(`Checkpoint signing: ${signingCost().toFixed(1)} µs per committed batch (one Ed25519 signature)`);
  if (stores.includes('embedded')) await benchStore('embedded');
  const postgres = process.env.LINEAGE_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!stores.includes('postgres')) return;
  if (postgres) await benchStore('postgres', postgres);
  else console.log('\nPostgreSQL: skipped (run under scripts/with-postgres.sh, or set DATABASE_URL)');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
