/**
 * `lineage demo` (`npm run demo`): builds the demo repository, starts the service on the embedded
 * store, sends it the demo's event stream over HTTP, prints what the service now knows and what to
 * run next, then keeps serving until Ctrl+C (or exits at once with --no-serve). Every run starts
 * from scratch, so it can be run again at any time.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../usageError';
import { startDemoWorld } from './demoWorld';

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

  // Nothing is deleted before it is known that no demo is serving from this folder and the port is
  // free: a second run must not take the first one's data from under it.
  const pidFile = join(root, 'demo.pid');
  const serving = runningDemo(pidFile);
  if (serving)
    throw new UsageError(
      `a demo is already serving from ${relative(process.cwd(), root) || '.'} (pid ${serving.pid}, ${serving.url}); stop it first, or use --dir <another folder>`,
    );
  const portInUse = () => new UsageError(`port ${port} is in use; run with --port <another port> (or 0 for any)`);
  if (port !== 0 && !(await portFree(port))) throw portInUse();

  out(`Building the demo repository in ${relative(process.cwd(), root) || '.'} …`);
  const world = await startDemoWorld(root, port, out).catch((e: unknown) => {
    throw (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? portInUse() : e;
  });
  const { repo, client, url } = world;
  out(`Ingested ${world.stored} events (native, CDEvents, in-toto provenance, SARIF) into ${url}\n`);

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
  // The editor, opened on the demo repository, reads this service (the file is not committed).
  mkdirSync(join(repo.dir, '.vscode'), { recursive: true });
  writeFileSync(
    join(repo.dir, '.vscode', 'settings.json'),
    `${JSON.stringify({ 'lineage.source': 'service', 'lineage.api.url': url }, null, 2)}\n`,
  );
  writeFileSync(join(repo.dir, '.git', 'info', 'exclude'), '.vscode/\n', { flag: 'a' });
  const lineage = cliInvocation();
  const here = relative(process.cwd(), repo.dir) || '.';
  out(`\nTry next, in another terminal while this one serves:
  cd ${here}
  export LINEAGE_API_URL=${url}
  # where each line runs, since which deployment, who approved it:
  ${lineage} blame src/payments.js
  # a production crash, back to the line it happened on:
  ${lineage} trace ../payments-crash.txt
  # the approval chain of the last pull request (stale approvals, unapproved commits):
  ${lineage} check --base ${repo.commits.revertInventory!.sha.slice(0, 7)} --head main
  # the whole chain behind a line, each item with its audit-log entry:
  ${lineage} evidence src/payments.js:9
  # the editor: open the folder and hover a line of src/payments.js
  code .`);
  writeFileSync(join(root, 'payments-crash.txt'), demoCrash());
  if (values['no-serve']) {
    await world.close();
    return;
  }
  out(`\nThe service keeps running at ${url}; press Ctrl+C to stop.`);
  writeFileSync(pidFile, `${process.pid} ${url}\n`);
  await new Promise<void>((resolveStop) => {
    const stop = () =>
      void world.close().then(() => {
        rmSync(pidFile, { force: true });
        resolveStop();
      });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** The demo serving from this folder, if its process is still alive. */
function runningDemo(pidFile: string): { pid: number; url: string } | null {
  if (!existsSync(pidFile)) return null;
  const [pid, url = ''] = readFileSync(pidFile, 'utf8').trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return null;
  try {
    process.kill(n, 0);
    return { pid: n, url };
  } catch {
    return null; // it ended without removing the file
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort(true)));
  });
}

/** How to run this CLI again from a shell: \`lineage\` when that is how it was started. */
function cliInvocation(): string {
  const script = process.argv[1] ?? 'lineage';
  return basename(script) === 'lineage' ? 'lineage' : `node ${script}`;
}

/**
 * A crash of the checkout as production prints it: the amount check in payments.js (line 9 of the
 * hotfix production runs), called from the server's checkout route.
 */
function demoCrash(): string {
  return [
    'Error: amount must be a positive number',
    '    at charge (/srv/shop-api/src/payments.js:9:27)',
    '    at Server.<anonymous> (/srv/shop-api/src/server.js:10:27)',
    '',
  ].join('\n');
}
