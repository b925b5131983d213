/** The `lineage` command: the same engine as the extension, for terminals, scripts and CI gates. */
import { ApiError } from '../core/sources/apiError';
import { runServe } from '../server/serveCommand';
import { runBlame } from './blameCommand';
import { runCheck } from './checkCommand';
import { runDoctor } from './doctorCommand';
import { runSync } from './syncCommand';
import { runTrace } from './traceCommand';
import { runEvidence } from './evidenceCommand';
import { runVerify } from './verifyCommand';
import { runIngest } from './ingestCommand';
import { runRecordDeploy } from './recordDeployCommand';
import { runDemo } from './demo/demoCommand';
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
  switch (command) {
    case 'serve':
      return runServe(rest);
    case 'ingest':
      return runIngest(rest, process.env, out);
    case 'blame':
      return runBlame(rest, process.env, out, (line) => process.stderr.write(`${line}\n`));
    case 'trace':
      process.exitCode = await runTrace(rest, process.env, out, (line) => process.stderr.write(`${line}\n`));
      return;
    case 'sync':
      return runSync(rest, process.env, out, (line) => process.stderr.write(`${line}\n`));
    case 'doctor':
      process.exitCode = await runDoctor(rest, process.env, out);
      return;
    case 'check':
      process.exitCode = await runCheck(rest, process.env, out, (line) => process.stderr.write(`${line}\n`));
      return;
    case 'evidence':
      process.exitCode = await runEvidence(rest, process.env, out, (line) => process.stderr.write(`${line}\n`));
      return;
    case 'verify':
      process.exitCode = await runVerify(rest, process.env, out, (line) => process.stderr.write(`${line}\n`));
      return;
    case 'record-deploy':
      return runRecordDeploy(rest, out);
    case 'demo':
      return runDemo(rest, out);
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

main(process.argv.slice(2)).catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  const known = e instanceof UsageError || ApiError.is(e) || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`lineage: ${message}\n`);
  if (!known && process.env.LINEAGE_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
  process.exit(2);
});
