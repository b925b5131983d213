/**
 * `lineage demo` (`npm run demo`): builds the demo repository, starts the service on the embedded
 * store, sends it the demo's event stream over HTTP, prints what the service now knows and what to
 * run next, then keeps serving until Ctrl+C (or exits at once with --no-serve). Every run starts
 * from scratch, so it can be run again at any time.
 */
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../core/sources/apiClient';
import { startService } from '../../server/service';
import { UsageError } from '../usageError';
import { buildDemoRepo } from './demoRepo';
import { demoStream } from './demoEvents';

export async function runDemo(argv: string[], out: (line: string) => void): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      port: { type: 'string' },
      'no-serve': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out('usage: lineage demo [--dir .lineage-demo] [--port 7420] [--no-serve]');
    return;
  }
  const root = resolve(values.dir ?? '.lineage-demo');
  const port = values.port === undefined ? 7420 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got "${values.port}"`);

  out(`Building the demo repository in ${relative(process.cwd(), root) || '.'} …`);
  const repo = buildDemoRepo(join(root, 'shop-api'));
  const dataDir = join(root, 'data');
  rmSync(dataDir, { recursive: true, force: true });

  out('Starting the service on the embedded store …');
  const service = await startService({ port, dataDir }).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UsageError(`port ${port} is in use; run with --port <another port> (or 0 for any)`);
    throw e;
  });
  const client = new ApiClient({ baseUrl: service.url, timeoutMs: 30_000 });
  try {
    const stream = demoStream(repo);
    const sent = [
      await client.ingest('events', JSON.stringify(stream.events)),
      await client.ingest('events', JSON.stringify(stream.cdevents)),
      await client.ingest('attestations', JSON.stringify(stream.attestations)),
      await client.ingest('sarif', JSON.stringify(stream.sarif.log), { repo: repo.slug, environment: 'production' }),
    ];
    const stored = sent.reduce((n, r) => n + r.accepted, 0);
    out(`Ingested ${stored} events (native, CDEvents, in-toto provenance, SARIF) into ${service.url}\n`);

    const envs = await client.environments(repo.slug);
    out(`Environments of ${repo.slug}:`);
    for (const env of envs.environments) {
      const d = env.deployment;
      if (!d) continue;
      const approvals = d.approvals.map((a) => a.approver).join(', ') || 'none';
      out(
        `  ${env.name.padEnd(11)} ${d.commit?.slice(0, 8) ?? '?'}  deploy #${d.id} (${d.kind}) by ${d.actor ?? '?'} at ${d.at}  image ${d.artifact?.slice(0, 19) ?? '?'}…  approvals: ${approvals}`,
      );
    }
    const findings = await client.findings(repo.slug, { status: 'open' });
    out(`\nOpen findings: ${findings.findings.length}`);
    for (const f of findings.findings) {
      const where = f.locations[0] ? `${f.locations[0].path}:${f.locations[0].line ?? '?'}` : 'no location';
      out(`  [${f.severity}] ${f.title}  (${where}, ${f.environment ?? 'any environment'})`);
    }
    const audit = await client.verifyAudit();
    out(`\nAudit log: ${audit.entries} entries, chain ${audit.ok ? 'verified' : `BROKEN at ${audit.brokenAt}`}`);
    out(`\nTry next:
  curl -s ${service.url}/v1/repos/${repo.slug}/environments
  curl -s ${service.url}/v1/repos/${repo.slug}/environments/production/deployments
  curl -s "${service.url}/v1/repos/${repo.slug}/findings?status=open"
  curl -s -X POST ${service.url}/v1/repos/${repo.slug}/lineage -H 'content-type: application/json' -d '{"commits":["${repo.commits.mergeInventoryV2!.sha}"]}'
  git -C ${relative(process.cwd(), repo.dir)} log --oneline --graph`);
  } finally {
    await client.close();
  }
  if (values['no-serve']) {
    await service.close();
    return;
  }
  out(`\nThe service keeps running at ${service.url}; press Ctrl+C to stop.`);
  await new Promise<void>((resolveStop) => {
    const stop = () => void service.close().then(() => resolveStop());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
