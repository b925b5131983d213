/**
 * `npm run bench:webhooks [-- --deliveries N --connections N --client node|wrk]`: GitHub webhook
 * deliveries as GitHub sends them, one per request (signed with X-Hub-Signature-256), over 32
 * connections, into the service started as its own process: the embedded store, and PostgreSQL
 * when LINEAGE_TEST_DATABASE_URL or DATABASE_URL names a server (scripts/with-postgres.sh sets
 * one). The payloads are GitHub's recorded `deployment_status` examples
 * (@octokit/webhooks-examples), each made a distinct deployment. Afterwards every acknowledged
 * delivery must be in the store and the audit chain must verify.
 *
 * The load comes from this process (undici) by default, or from wrk (`--client wrk`, Debian's
 * package `wrk`; bench/wrk/deliveries.lua): on a two-core machine the sender shares the service's
 * cores, and wrk takes a fraction of what a Node client does.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { freshPostgres } from './freshPostgres';
import { startService } from './spawnService';

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string' },
    connections: { type: 'string' },
    client: { type: 'string' },
    warmup: { type: 'string' },
    stores: { type: 'string' },
  },
});
const stores = (values.stores ?? 'embedded,postgres').split(',');
for (const s of stores) if (s !== 'embedded' && s !== 'postgres') throw new Error(`--stores names embedded and postgres, not ${s}`);
const deliveries = Number(values.deliveries ?? 8000);
const warmup = Number(values.warmup ?? 0);
const connections = Number(values.connections ?? 32);
const client = values.client ?? 'node';
if (client !== 'node' && client !== 'wrk') throw new Error(`--client is node or wrk, not ${client}`);
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

async function run(store: { dataDir?: string; databaseUrl?: string }, label: string, scratch: string): Promise<void> {
  process.env.LINEAGE_GITHUB_WEBHOOK_SECRET = secret;
  const service = await startService(store);
  const agent = new Agent({ connections });
  try {
    // Signing is the sender's work (GitHub's), done before the clock starts so that the load
    // generator, which shares this machine's cores with the service, takes less of them.
    const all = Array.from({ length: warmup + deliveries }, (_, i) => {
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
    const send = (bodies: Delivery[], name: string) =>
      client === 'wrk' ? sendWithWrk(service.url, bodies, join(scratch, name)) : sendWithNode(service.url, bodies, agent);
    if (warmup > 0) {
      // A service that has run a while: PGlite's WebAssembly has been optimised where it is hot
      // (V8 compiles it again in the background for the first tens of thousands of statements).
      await send(all.slice(0, warmup), 'warmup');
      await request(`${service.url}/v1/health`, { dispatcher: agent }).then((r) => r.body.dump());
    }
    const cpuBefore = threadCpu(service.pid);
    const { acknowledged, seconds } = await send(all.slice(warmup), 'measured');
    // A read waits until the store holds every acknowledged delivery: this is when all are queryable
    // (counted from the sender's clock, plus the wait after its last answer).
    const sent = performance.now();
    const health = (await (await request(`${service.url}/v1/health`, { dispatcher: agent })).body.json()) as { events?: number };
    const inStore = seconds + (performance.now() - sent) / 1000;
    const cpu = cpuPerDelivery(service.pid, cpuBefore, threadCpu(service.pid), acknowledged);
    const audit = await request(`${service.url}/v1/audit/verify`, { dispatcher: agent });
    const verdict = (await audit.body.json()) as { ok?: boolean; entries?: number };
    console.log(
      `${label.padEnd(22)} ${acknowledged} deliveries acknowledged in ${seconds.toFixed(2)} s: ${Math.round(acknowledged / seconds)}/s; ` +
        `all queryable after ${inStore.toFixed(2)} s: ${Math.round(acknowledged / inStore)}/s ` +
        `(stored ${health.events ?? '?'}, audit chain ${verdict.ok ? 'verified' : 'NOT verified'} over ${verdict.entries ?? '?'} entries)`,
    );
    if (cpu) console.log(`${''.padEnd(22)} service CPU per delivery: ${cpu}`);
    if (health.events !== undefined && health.events < warmup + acknowledged)
      throw new Error(`${warmup + acknowledged - health.events} acknowledged deliveries are missing`);
    if (!verdict.ok) throw new Error('the audit chain does not verify');
  } finally {
    await agent.close();
    await service.close();
  }
}

/**
 * CPU time (user + system, in clock ticks) of each of the service's threads, from Linux's /proc;
 * null elsewhere. Throughput on a small machine moves with what else runs on it, while the CPU a
 * delivery costs each thread holds steady from one run to the next: a change is judged by both.
 */
function threadCpu(pid: number): Map<number, number> | null {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return null;
  const ticks = new Map<number, number>();
  for (const tid of readdirSync(tasks)) {
    try {
      // Fields after the parenthesised name: state is the 3rd field, utime the 14th, stime the 15th.
      const stat = readFileSync(`${tasks}/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return ticks;
}

/** "main thread N µs, store thread N µs, other threads N µs": the main thread's id is the process's, the store's worker is the busiest other thread. */
function cpuPerDelivery(
  main: number,
  before: Map<number, number> | null,
  after: Map<number, number> | null,
  deliveries: number,
): string | null {
  if (!before || !after || deliveries === 0) return null;
  const tick = 1e6 / 100; // µs per clock tick: USER_HZ is 100 on Linux
  const used = [...after].map(([tid, t]) => ({ tid, us: ((t - (before.get(tid) ?? 0)) * tick) / deliveries }));
  const others = used.filter((u) => u.tid !== main).sort((a, b) => b.us - a.us);
  const mainUs = used.find((u) => u.tid === main)?.us ?? 0;
  const rest = others.slice(1).reduce((n, u) => n + u.us, 0);
  return `main thread ${Math.round(mainUs)} µs, store thread ${Math.round(others[0]?.us ?? 0)} µs, other threads ${Math.round(rest)} µs`;
}

interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** Sends every delivery from this process, `connections` at a time; each must be stored as new. */
async function sendWithNode(url: string, bodies: Delivery[], agent: Agent): Promise<{ acknowledged: number; seconds: number }> {
  let next = 0;
  let acknowledged = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < bodies.length) {
        const { body, headers } = bodies[next++]!;
        const res = await request(`${url}/v1/webhooks/github`, { method: 'POST', body, dispatcher: agent, headers });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${text.slice(0, 300)}`);
        // A delivery the store had already would be measured as a cheap duplicate, not an ingest.
        if ((JSON.parse(text) as { accepted?: number }).accepted !== 1) throw new Error(`not stored as new: ${text.slice(0, 300)}`);
        acknowledged++;
      }
    }),
  );
  return { acknowledged, seconds: (performance.now() - started) / 1000 };
}

/**
 * The same through wrk (one thread, `connections` connections). The time is wrk's own, from its
 * first delivery sent to its last answered (bench/wrk/deliveries.lua); wrk is stopped then.
 */
async function sendWithWrk(url: string, bodies: Delivery[], scratch: string): Promise<{ acknowledged: number; seconds: number }> {
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, 'deliveries.txt');
  const done = join(scratch, 'wrk-done');
  writeFileSync(
    file,
    bodies
      .map((d) => `${d.headers['x-github-delivery']}\t${d.headers['x-hub-signature-256']}\t${Buffer.byteLength(d.body)}\n${d.body}`)
      .join(''),
  );
  const threads = 1;
  const marks = Array.from({ length: threads }, (_, i) => `${done}.${i}`);
  // A run before this one (the embedded store's, then PostgreSQL's) left its marks in the same folder.
  for (const mark of marks) rmSync(mark, { force: true });
  const wrk = spawn('wrk', [`-t${threads}`, `-c${connections}`, '-d3600s', '-s', join(__dirname, 'wrk/deliveries.lua'), url], {
    env: { ...process.env, LINEAGE_WRK_DELIVERIES: file, LINEAGE_WRK_THREADS: String(threads), LINEAGE_WRK_DONE: done },
  });
  let output = '';
  wrk.stdout.on('data', (c: Buffer) => (output += c.toString()));
  wrk.stderr.on('data', (c: Buffer) => (output += c.toString()));
  // A wrk that cannot start (not installed) never gets an exit code: its error ends the wait.
  const start: { failed: Error | null } = { failed: null };
  const exited = new Promise<number | null>((resolve) => {
    wrk.once('error', (e) => {
      start.failed = new Error(`wrk could not run (${e.message}); install Debian's package wrk, or use --client node`);
      resolve(null);
    });
    // 'close', not 'exit': the summary wrk prints as it stops may still be on its way when it exits.
    wrk.once('close', resolve);
  });
  while (!marks.every((m) => existsSync(m))) {
    if (start.failed) throw start.failed;
    if (wrk.exitCode !== null) throw new Error(`wrk ended before every delivery was answered: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  wrk.kill('SIGINT');
  await exited;
  const m = /lineage-wrk answered=(\d+) refused=(\d+)/.exec(output);
  if (!m) throw new Error(`wrk: ${output}`);
  const [answered, refused] = [Number(m[1]), Number(m[2])];
  if (refused > 0 || answered !== bodies.length)
    throw new Error(`wrk: ${answered} answered, ${refused} not stored as new, of ${bodies.length}`);
  const spans = marks.map((mark) => readFileSync(mark, 'utf8').trim().split(' ').map(Number));
  const seconds = Math.max(...spans.map((s) => s[1]!)) - Math.min(...spans.map((s) => s[0]!));
  return { acknowledged: answered, seconds };
}

async function main(): Promise<void> {
  console.log(
    `GitHub deployment_status webhooks, one per request, ${connections} connections, ${deliveries} deliveries${warmup > 0 ? ` after ${warmup} to warm the service up` : ''}, sent by ${client}`,
  );
  const scratch = mkdtempSync(join(tmpdir(), 'lineage-webhooks-bench-'));
  try {
    if (stores.includes('embedded')) await run({ dataDir: join(scratch, 'data') }, 'embedded store', scratch);
    const postgres = process.env.LINEAGE_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
    if (postgres && stores.includes('postgres')) await run({ databaseUrl: await freshPostgres(postgres) }, 'PostgreSQL', scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
