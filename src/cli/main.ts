/** The `lineage` command: the same engine as the extension, for terminals, scripts and CI gates. */
import { ApiError } from '../core/sources/apiError';
import { UsageError } from './usageError';

const usage = `usage: lineage <command> [options]

commands:
  serve     run the traceability service
  blame           where each line of a file runs, since which deployment, how it got there
  trace           from a pasted stack trace, SARIF result or alert to the file and line here
  sync github     backfill the service from GitHub (idempotent, resumable)
  doctor          which source is in use, can it be reached, which token, rate limit left
  check           evaluate a branch's approval chain against the policy (exit 1 when blocking)
  evidence        the whole chain behind a line or a deployment, with audit-log entries
  verify          check the audit chain, the served rows and signed checkpoints (or a bundle, offline)
  record-deploy   record a deployment as a git tag (deploy/<environment>/<UTC timestamp>)
  ingest    send CDEvents, GitHub payloads, SARIF, in-toto or native events to the service
  demo      build a demo repository, start the service and feed it a realistic event stream

Run "lineage <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  // Each command's module is loaded only when it runs: a blame never pays for the service, the
  // store or GitHub's client (the bundle is split along these imports).
  switch (command) {
    case 'serve':
      return (await import('../server/serveCommand')).runServe(rest);
    case 'ingest':
      return (await import('./ingestCommand')).runIngest(rest, process.env, out);
    case 'blame':
      return (await import('./blameCommand')).runBlame(rest, process.env, out, err);
    case 'trace':
      process.exitCode = await (await import('./traceCommand')).runTrace(rest, process.env, out, err);
      return;
    case 'sync':
      return (await import('./syncCommand')).runSync(rest, process.env, out, err);
    case 'doctor':
      process.exitCode = await (await import('./doctorCommand')).runDoctor(rest, process.env, out);
      return;
    case 'check':
      process.exitCode = await (await import('./checkCommand')).runCheck(rest, process.env, out, err);
      return;
    case 'evidence':
      process.exitCode = await (await import('./evidenceCommand')).runEvidence(rest, process.env, out, err);
      return;
    case 'verify':
      process.exitCode = await (await import('./verifyCommand')).runVerify(rest, process.env, out, err);
      return;
    case 'record-deploy':
      return (await import('./recordDeployCommand')).runRecordDeploy(rest, out);
    case 'demo':
      return (await import('./demo/demoCommand')).runDemo(rest, out);
    case '--version':
    case 'version':
      out('0.1.0');
      return;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      out(usage);
      return;
    default:
      throw new UsageError(`unknown command "${command}"\n${usage}`);
  }
}

// A reader that stops early (`lineage blame … | head`) closes the pipe: that ends the output, not in an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  const known = e instanceof UsageError || ApiError.is(e) || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`lineage: ${message}\n`);
  if (!known && process.env.LINEAGE_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
  process.exit(2);
});
