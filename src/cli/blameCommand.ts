/** `lineage blame`: where each line of a file runs, and how it got there. */
import { readFileSync } from 'node:fs';
import type { CommittedBlame } from '../core/git/committedBlame';
import { parseBlameArgs } from './blameStart';
import { formatBlame, isTerminal } from './blameFormat';
import { openCheckout } from './checkout';
import { cliOriginSlug, cliSession } from './sourceOption';
import { UsageError } from './usageError';

export const blameUsage = `usage: lineage blame <path> [--line N | --line N-M] [--json] [--api URL] [--token T] [--repo owner/name] [--contents <file|->] [--detect-moves]
                     [--source auto|service|github|git] [--github-url URL]

--source auto (the default) reads the service when --api or LINEAGE_API_URL is set, else GitHub
directly when the origin is on GitHub and a token is available (GITHUB_TOKEN, GH_TOKEN or
"gh auth token"), else git-native deploy tags (deploy/<environment>/<UTC timestamp>; see
"lineage record-deploy"). --github-url (or GITHUB_API_URL) points at GitHub Enterprise Server.
--detect-moves credits lines moved within the file or copied from other files to the commit
that first wrote them (git blame -M -C); it costs about 1.6x a plain blame.`;

function parseRange(value: string | undefined, lineCount: number): [number, number] {
  if (value === undefined) return [1, lineCount];
  const m = /^(\d+)(?:-(\d+))?$/.exec(value);
  if (!m) throw new UsageError(`--line must be N or N-M, got "${value}"`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to < from) throw new UsageError(`--line ${value} is not a range of lines (1-based, N ≤ M)`);
  if (to > lineCount) throw new UsageError(`--line ${value} is past the end of the file (${lineCount} lines)`);
  return [from, to];
}

export async function runBlame(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
  committed: CommittedBlame | null,
): Promise<void> {
  const { values, positionals } = parseBlameArgs(argv);
  if (values.help) {
    out(blameUsage);
    return;
  }
  if (positionals.length !== 1) throw new UsageError('blame needs exactly one file path');
  const target = positionals[0]!;

  // The blame of HEAD's version started before anything else (`committed`: the entry starts it
  // before this module loads, blameStart.ts); it is the answer when the file is unchanged
  // (committedBlame.ts). A buffer given with --contents is blamed as usual (null).
  const repo = await openCheckout(process.cwd(), committed?.located);
  let path: string;
  try {
    path = repo.relativePath(target);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let contents: string | undefined;
  if (values.contents !== undefined) {
    try {
      contents = readFileSync(values.contents === '-' ? 0 : values.contents, 'utf8');
    } catch (e) {
      throw new UsageError(`--contents ${values.contents}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }

  const session = cliSession(values, env);
  try {
    // The blame starts at once and the binary check runs beside it: on a short file anything run
    // before the blame costs as much again. Whether the file is tracked is asked only when the
    // blame fails, to say why.
    const answering = (values.repo !== undefined ? Promise.resolve(values.repo) : cliOriginSlug(repo, values, env)).then((slug) =>
      session.lineage({ repo, path, contents, slug, blame: committed ? () => committed.blame(repo, path) : undefined }),
    );
    const binary = repo.isBinary(path);
    const answer = await answering.catch(async (e: unknown) => {
      if (contents === undefined && !(await repo.isTracked(path)))
        throw new UsageError(`${target} is not tracked by git (untracked files have no history to blame)`);
      throw e;
    });
    if (await binary) throw new UsageError(`${target} is a binary file; blame works on text`);
    // A token the source refuses, or an address that is not the API, is the user's to fix.
    if (answer.failure?.needsFix) throw new UsageError(answer.failure.message);
    if (answer.failure) err(`lineage: notice: ${answer.failure.notice}`);
    const report = answer.file;
    if (report.lines.length === 0) throw new UsageError(`${target} is empty`);
    const [from, to] = parseRange(values.line, report.lines.length);
    const lines = report.lines.slice(from - 1, to);
    if (values.json) out(JSON.stringify({ ...report, lines }, null, 2));
    else out(formatBlame(report, lines, isTerminal(process.stdout) && !env.NO_COLOR));
  } finally {
    await session.close();
  }
}
