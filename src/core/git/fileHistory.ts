/**
 * A file's history as git keeps it, for pictures of it: the commits that changed it (following
 * renames), the version (blob) each one left, and which version a given commit holds. Each
 * question is one git process however long the history is.
 */
import { checkRevision } from './gitRunner';
import type { Repository } from './repository';

export interface FileCommit {
  sha: string;
  parents: string[];
  author: string;
  authorMail: string;
  /** Author and commit times, ISO 8601. */
  authoredAt: string;
  committedAt: string;
  summary: string;
  /** The file's name after this commit. */
  path: string;
  /** The file's blob after this commit, or null when the commit deleted it. */
  blob: string | null;
}

const ZERO = /^0+$/;

/**
 * The commits that changed `path` on HEAD's history, newest first, following renames (`git log
 * --follow`), at most `maxCount`. Merge commits carry no diff of their own and are left out: the
 * commits they bring in are listed.
 */
export async function fileHistory(repo: Repository, path: string, maxCount = 5000): Promise<FileCommit[]> {
  const out = await repo.run([
    'log',
    '--follow',
    '-M',
    '--no-textconv',
    '--raw',
    '--no-abbrev',
    `--max-count=${Math.max(1, Math.floor(maxCount))}`,
    '--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1f%s',
    'HEAD',
    '--',
    path,
  ]);
  const commits: FileCommit[] = [];
  for (const record of out.split('\x1e')) {
    if (!record.trim()) continue;
    const newline = record.indexOf('\n');
    const header = newline < 0 ? record : record.slice(0, newline);
    const [sha, parents, author, authorMail, authoredAt, committedAt, summary] = header.split('\x1f');
    if (!sha || !committedAt) continue;
    // `:100644 100644 <old> <new> M\tpath` or `R087\told\tnew`: the last raw line names this file.
    const raw = record
      .slice(newline + 1)
      .split('\n')
      .filter((l) => l.startsWith(':'));
    const last = raw[raw.length - 1];
    if (!last) continue;
    const [meta = '', ...names] = last.split('\t');
    const blob = meta.split(' ')[3] ?? '';
    commits.push({
      sha,
      parents: (parents ?? '').split(' ').filter(Boolean),
      author: author ?? '',
      authorMail: authorMail ?? '',
      authoredAt: authoredAt ?? committedAt,
      committedAt,
      summary: summary ?? '',
      path: names[names.length - 1] ?? path,
      blob: ZERO.test(blob) || !blob ? null : blob,
    });
  }
  return commits;
}

/**
 * Which version of the file each commit holds and when it was committed, in two `cat-file`
 * processes: the blob under each of the file's names (newest name first), and the commit's time.
 * A commit missing from the clone is absent from the answer; one without the file has blob null.
 */
export async function versionsAt(
  repo: Repository,
  shas: string[],
  names: string[],
): Promise<Map<string, { blob: string | null; committedAt: string }>> {
  const revs = [...new Set(shas.map(checkRevision))];
  const answer = new Map<string, { blob: string | null; committedAt: string }>();
  if (revs.length === 0) return answer;
  const commits = await repo.runWithInput(['cat-file', '--batch'], revs.map((r) => `${r}^{commit}`).join('\n') + '\n');
  // `<sha> commit <size>\n<body>\n` per present commit, `<rev> missing` otherwise: the committer
  // line of each body gives its time.
  let offset = 0;
  const present: string[] = [];
  for (const rev of revs) {
    const eol = commits.indexOf(10, offset);
    if (eol < 0) break;
    const m = / commit (\d+)$/.exec(commits.subarray(offset, eol).toString('utf8'));
    offset = eol + 1;
    if (!m) continue;
    const size = Number(m[1]);
    const body = commits.subarray(offset, offset + size).toString('utf8');
    offset += size + 1;
    const when = /^committer .* (\d+) [+-]\d{4}$/m.exec(body)?.[1];
    if (!when) continue;
    answer.set(rev, { blob: null, committedAt: new Date(Number(when) * 1000).toISOString() });
    present.push(rev);
  }
  let pending = present;
  for (const name of names) {
    if (pending.length === 0) break;
    const out = (await repo.runWithInput(['cat-file', '--batch-check'], pending.map((r) => `${r}:${name}`).join('\n') + '\n')).toString(
      'utf8',
    );
    const lines = out.split('\n');
    pending = pending.filter((rev, i) => {
      const m = /^([0-9a-f]{40,64}) blob \d+$/.exec(lines[i] ?? '');
      if (m) answer.get(rev)!.blob = m[1]!;
      return !m;
    });
  }
  return answer;
}

/**
 * The commits that changed lines `start`–`end` of the file at HEAD, newest first (`git log -L`,
 * which follows the lines through edits and renames of the file).
 */
export async function lineRangeHistory(repo: Repository, path: string, start: number, end: number): Promise<string[]> {
  const from = Math.max(1, Math.floor(start));
  const to = Math.max(from, Math.floor(end));
  // `-L` reads the path after the range's colon: a name with its own colon cannot be said there.
  if (path.includes(':')) return [];
  const out = await repo.run(['log', '--no-textconv', '-s', '--format=%H', `-L${from},${to}:${path}`, 'HEAD']);
  return out.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
}
