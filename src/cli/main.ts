/** The `lineage` command: the same engine as the extension, for terminals, scripts and CI gates. */
import { join } from 'node:path';
import { UsageError } from './usageError';

const commands: [string, string][] = [
  ['blame', 'where each line of a file runs, since which deployment, how it got there'],
  ['trace', 'from a pasted stack trace, SARIF result or alert to the file and line here'],
  ['check', "evaluate a branch's approval chain against the policy (exit 1 when blocking)"],
  ['evidence', 'the whole chain behind a line or a deployment, with audit-log entries'],
  ['doctor', 'which source is in use, can it be reached, which token, rate limit left'],
  ['sync github', 'backfill the service from GitHub (idempotent, resumable)'],
  ['sync gitlab', 'backfill the service from GitLab (idempotent, resumable)'],
  ['record-deploy', 'record a deployment as a git tag (deploy/<environment>/<UTC timestamp>)'],
  ['serve', 'run the traceability service'],
  ['ingest', 'send CDEvents, GitHub payloads, SARIF, in-toto or native events to the service'],
  ['export', 'write a window of events and audit entries, with a signed checkpoint, for keeping'],
  ['verify', 'check the audit chain, the served rows and signed checkpoints (or a bundle or export, offline)'],
  ['demo', 'build a demo repository, start the service and feed it a realistic event stream'],
];

const usage = `usage: lineage <command> [options]

commands:
${commands.map(([name, what]) => `  ${name.padEnd(15)} ${what}`).join('\n')}

Run "lineage <command> --help" (or "lineage help <command>") for a command's options; "lineage --version" for the version.`;

const version = '0.1.0';

/** The closest command to a mistyped one, when it is close enough to be what was meant. */
function closest(word: string): string | null {
  let best: { name: string; distance: number } | null = null;
  for (const [full] of commands) {
    const name = full.split(' ')[0]!;
    const distance = editDistance(word, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(best.name.length / 3)) ? best.name : null;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** Node's own words for a bad flag, said as this command line's. */
function parseErrorMessage(e: { code?: string; message: string }, command: string | undefined): string {
  const where = command ? `lineage ${command}` : 'lineage';
  const option = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option} for "${where}"; run "${where} --help"`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option)
    return `${option} ${/argument missing/.test(e.message) ? 'needs a value' : 'takes no value'}; run "${where} --help"`;
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(e.message)?.[1] ?? '';
    return `"${where}" takes no argument "${arg}"; run "${where} --help"`;
  }
  return e.message;
}

/** Command bundles load V8's code from the last run instead of compiling again (compileCache.ts). */
async function useCompileCache(): Promise<void> {
  const { compileCacheDir, enableCompileCache } = await import('./compileCache');
  const dir = compileCacheDir(process.env);
  // Built, this file is dist/cli.js and the command bundles are in dist/cli.
  if (dir) enableCompileCache(join(__dirname, 'cli'), dir);
}

/**
 * A reader that stops early (`lineage blame … | head`) closes the pipe: that ends the output, not
 * in an error. Set before a command writes; not before a blame's git starts, since touching stdout
 * loads Node's stream modules.
 */
function endQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

async function main(argv: string[]): Promise<void> {
  const [first, ...afterFirst] = argv;
  // "lineage help blame" is "lineage blame --help".
  const [command, ...rest] = first === 'help' && afterFirst.length > 0 ? [afterFirst[0]!, '--help', ...afterFirst.slice(1)] : argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  if (command !== 'blame') endQuietlyOnClosedPipe();
  if (command !== 'blame' && commands.some(([name]) => name.split(' ')[0] === command)) await useCompileCache();
  // Each command's module is loaded only when it runs: a blame never pays for the service, the
  // store or GitHub's client (each command is its own bundle: scripts/buildCli.mjs).
  switch (command) {
    case 'serve':
      return (await import('../server/serveCommand')).runServe(rest);
    case 'ingest':
      return (await import('./ingestCommand')).runIngest(rest, process.env, out);
    case 'blame': {
      // Git's blame starts before the command's code is loaded and compiled (blameStart.ts), and
      // before the compile cache is set up: every millisecond before it is on the answer's path.
      const started = (await import('./blameStart')).startBlame(rest, process.cwd());
      endQuietlyOnClosedPipe();
      await useCompileCache();
      return (await import('./blameCommand')).runBlame(rest, process.env, out, err, started);
    }
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
    case 'export':
      process.exitCode = await (await import('./exportCommand')).runExport(rest, process.env, out);
      return;
    case 'verify':
      process.exitCode = await (await import('./verifyCommand')).runVerify(rest, process.env, out, err);
      return;
    case 'record-deploy':
      return (await import('./recordDeployCommand')).runRecordDeploy(rest, out, process.env);
    case 'demo':
      return (await import('./demo/demoCommand')).runDemo(rest, out);
    case '--version':
    case '-v':
    case '-V':
    case 'version':
      out(version);
      return;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      out(usage);
      return;
    default: {
      const guess = closest(command);
      throw new UsageError(
        `unknown command "${command}"${guess ? ` (did you mean "${guess}"?)` : ''}; run "lineage --help" for the commands`,
      );
    }
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const parseError = (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
  const [first, second] = process.argv.slice(2);
  const command = first === 'help' ? second : first === 'sync' ? `sync ${second ?? ''}`.trim() : first;
  const message = parseError ? parseErrorMessage(e as Error & { code?: string }, command) : e instanceof Error ? e.message : String(e);
  // By name, not instanceof: each command is its own bundle with its own copy of these classes.
  const known = (e instanceof Error && (e.name === 'UsageError' || e.name === 'ApiError')) || parseError;
  process.stderr.write(`lineage: ${message}\n`);
  if (!known && process.env.LINEAGE_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
  process.exit(2);
});
