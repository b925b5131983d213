/**
 * `lineage trace [<file>|-]`: from a pasted finding (stack trace, SARIF, alert JSON, finding id)
 * to the responsible file and line of the working copy, with that line's lineage. Exit 0 when
 * something was found, 1 when not, 2 on bad input.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isRepoSlug } from '../core/model/primitives';
import { ApiError } from '../core/sources/apiError';
import { traceFinding, UnknownFindingError } from '../core/trace/traceFinding';
import { terminalSafe } from './blameFormat';
import { openCheckout } from './checkout';
import { cliOriginSlug, cliSession, sourceFlags } from './sourceOption';
import { UsageError } from './usageError';

export const traceUsage = `usage: lineage trace [<file>|-] [--json] [--api URL] [--token T] [-C DIR] [--repo owner/name]
                     [--environment NAME | --revision SHA] [--map STACK_ROOT=SOURCE_ROOT ...]
                     [--source auto|service|github|git] [--github-url URL]

Reads a stack trace (Node, browsers, Python, Java/Kotlin, Go, .NET, Ruby), a SARIF log, a GitHub
code-scanning alert, a CDEvents incident, any JSON alert with file/line or commit/digest fields,
or a finding id (lineage-finding:<id>) from the file or standard input. When the finding names no
revision, the one running in --environment (default production) is used, or --revision, or the
working copy. -C runs in the git checkout at DIR (default: the current directory); --repo names
the repository as owner/name when its origin does not (--slug is the same; a --repo naming an
existing directory is read as -C, as it once was).`;

const maxInputBytes = 16 * 1024 * 1024;

export async function runTrace(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...sourceFlags,
      json: { type: 'boolean' },
      repo: { type: 'string' },
      directory: { type: 'string', short: 'C' },
      slug: { type: 'string' },
      environment: { type: 'string' },
      revision: { type: 'string' },
      map: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(traceUsage);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`trace reads one input (a file or -)\n${traceUsage}`);
  if (values.environment && values.revision) throw new UsageError('give --environment or --revision, not both');
  if (values.revision && !/^[0-9a-f]{7,64}$/i.test(values.revision))
    throw new UsageError(`--revision must be a commit id, got "${values.revision.slice(0, 80)}"`);
  const codeMappings = (values.map ?? []).map((m) => {
    const eq = m.indexOf('=');
    if (eq <= 0) throw new UsageError(`--map must be STACK_ROOT=SOURCE_ROOT, got "${m}"`);
    return { stackRoot: m.slice(0, eq), sourceRoot: m.slice(eq + 1) };
  });
  let text: string;
  const source = positionals[0] ?? '-';
  // Read from a terminal, the paste has no end of its own: say how to end it rather than wait in silence.
  if (source === '-' && process.stdin.isTTY)
    err('lineage trace: paste the stack trace, SARIF log, alert or finding id, then press Ctrl-D on a line of its own');
  try {
    const buffer = readFileSync(source === '-' ? 0 : source);
    if (buffer.length > maxInputBytes)
      throw new UsageError(`the input is ${Math.round(buffer.length / 1048576)} MB; at most 16 MB is read`);
    text = buffer.toString('utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${source}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text.trim() === '') throw new UsageError('the input is empty: paste a stack trace, a SARIF log, an alert or a finding id');

  // --repo is owner/name, as in every other command; a directory is -C. A --repo that names an
  // existing directory is still read as one: scripts written when it meant that keep working.
  let directory = values.directory ?? process.cwd();
  let named: string | undefined;
  if (values.repo !== undefined) {
    if (statSync(values.repo, { throwIfNoEntry: false })?.isDirectory()) {
      if (values.directory === undefined) directory = values.repo;
    } else if (isRepoSlug(values.repo)) named = values.repo;
    else
      throw new UsageError(
        `--repo must be owner/name (or group/subgroup/name), got "${values.repo.slice(0, 80)}" (a directory is -C <dir>)`,
      );
  }
  const repo = await openCheckout(directory);
  const session = cliSession(values, env);
  const slug = values.slug ?? named ?? (await cliOriginSlug(repo, values, env));
  try {
    const chosen = await session.source(repo);
    const result = await traceFinding({
      repo,
      text,
      source: chosen.source,
      slug,
      environment: values.environment,
      revision: values.revision,
      codeMappings,
    });
    // The lineage of the best few candidates' lines, from the same engine as `lineage blame`.
    const withLineage = await Promise.all(
      result.candidates.map(async (c, i) => {
        if (i >= 3 || c.line === null) return { ...c, lineage: null };
        const answer = await session.lineage({ repo, path: c.path, slug });
        return { ...c, lineage: answer.file.lines[c.line - 1] ?? null };
      }),
    );
    if (values.json) {
      out(JSON.stringify({ ...result, candidates: withLineage }, null, 2));
    } else {
      out(
        `input: ${result.input.kind}, ${result.input.locations} location(s); revision: ${result.revision.sha ? result.revision.sha.slice(0, 12) : 'working copy'} (${terminalSafe(result.revision.how)})`,
      );
      for (const m of result.input.messages.slice(0, 2)) out(`  ${terminalSafe(m)}`);
      if (result.artifact) {
        const a = result.artifact;
        const places = a.runsIn.map(
          (p) =>
            `${[p.environment, p.physicalEnvironment, p.cluster].filter(Boolean).join('/')}${p.live ? '' : ' (taken down)'}${p.since ? ` since ${p.since}` : ''}`,
        );
        out(
          `artifact ${a.digest.slice(0, 19)}…: ${a.commit ? `built from ${a.commit.slice(0, 12)}` : 'commit unknown'}; ${places.length ? `runs in ${terminalSafe(places.join(', '))}` : 'no deployment of it known'}`,
        );
      }
      if (withLineage.length === 0) out('no location found');
      for (const c of withLineage) {
        const commit = c.lineage?.commit
          ? `  ${c.lineage.commit.sha.slice(0, 7)} ${terminalSafe(c.lineage.commit.author)}: ${terminalSafe(c.lineage.commit.summary)}`
          : '';
        const changed = c.changed
          ? ` (changed: ${c.changed.how}${c.changed.commit ? ` by ${c.changed.commit.slice(0, 7)}` : ', not committed'})`
          : '';
        out(`${c.confidence.toFixed(2)}  ${terminalSafe(c.path)}:${c.line ?? '(deleted)'}${changed}${commit}`);
        out(`      ${terminalSafe(c.reason)}`);
      }
      for (const t of result.tried) err(`tried: ${terminalSafe(t)}`);
    }
    return withLineage.length > 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof UnknownFindingError || ApiError.is(e, 'notFound') || ApiError.is(e, 'invalidResponse'))
      throw new UsageError(e.message);
    throw e;
  } finally {
    await session.close();
  }
}
