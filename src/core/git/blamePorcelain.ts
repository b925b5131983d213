/**
 * Parser of `git blame --porcelain` (https://git-scm.com/docs/git-blame#_the_porcelain_format).
 * Pure and streaming-friendly: each line's header names its commit; commit details are printed
 * only the first time a commit appears, so they are collected into a map.
 */

/** Git's id for lines that no commit contains yet (a dirty buffer given with --contents). */
export const uncommittedSha = '0000000000000000000000000000000000000000';

export interface BlameCommit {
  sha: string;
  author: string;
  authorMail: string;
  /** ISO 8601 UTC. */
  authorTime: string;
  committer: string;
  committerTime: string;
  summary: string;
  /** The commit is a boundary (its parent was outside the blamed range). */
  boundary: boolean;
  /** The path and commit this line came from before `sha`, when git reports it. */
  previous: { sha: string; path: string } | null;
}

export interface BlameLine {
  /** 1-based line number in the blamed text. */
  line: number;
  sha: string;
  /** 1-based line number in the commit's version of the file. */
  origLine: number;
  /** Path of the file in that commit (differs from today's after a rename). */
  origPath: string;
  text: string;
}

export interface BlameResult {
  lines: BlameLine[];
  commits: Map<string, BlameCommit>;
}

const headerPattern = /^([0-9a-f]{40}|[0-9a-f]{64}) (\d+) (\d+)(?: (\d+))?$/;

export class BlameParseError extends Error {
  constructor(
    readonly lineNumber: number,
    message: string,
  ) {
    super(`git blame output, line ${lineNumber}: ${message}`);
    this.name = 'BlameParseError';
  }
}

function unixToIso(seconds: string): string {
  const n = Number(seconds);
  return Number.isFinite(n) ? new Date(n * 1000).toISOString() : new Date(0).toISOString();
}

export function parseBlamePorcelain(output: string): BlameResult {
  const rows = output.split('\n');
  const lines: BlameLine[] = [];
  const commits = new Map<string, BlameCommit>();
  const pathOf = new Map<string, string>();
  let i = 0;
  while (i < rows.length) {
    const header = rows[i]!;
    if (header === '') {
      i++;
      continue;
    }
    const m = headerPattern.exec(header);
    if (!m) throw new BlameParseError(i + 1, `expected "<sha> <orig> <final>", got "${header.slice(0, 80)}"`);
    const sha = m[1]!;
    let commit = commits.get(sha);
    if (!commit) {
      commit = {
        sha,
        author: '',
        authorMail: '',
        authorTime: new Date(0).toISOString(),
        committer: '',
        committerTime: new Date(0).toISOString(),
        summary: '',
        boundary: false,
        previous: null,
      };
      commits.set(sha, commit);
    }
    i++;
    let text: string | null = null;
    while (i < rows.length) {
      const row = rows[i]!;
      i++;
      if (row.startsWith('\t')) {
        text = row.slice(1);
        break;
      }
      const space = row.indexOf(' ');
      const key = space < 0 ? row : row.slice(0, space);
      const value = space < 0 ? '' : row.slice(space + 1);
      switch (key) {
        case 'author':
          commit.author = value;
          break;
        case 'author-mail':
          commit.authorMail = value.replace(/^<|>$/g, '');
          break;
        case 'author-time':
          commit.authorTime = unixToIso(value);
          break;
        case 'committer':
          commit.committer = value;
          break;
        case 'committer-time':
          commit.committerTime = unixToIso(value);
          break;
        case 'summary':
          commit.summary = value;
          break;
        case 'boundary':
          commit.boundary = true;
          break;
        case 'previous': {
          const sp = value.indexOf(' ');
          if (sp > 0) commit.previous = { sha: value.slice(0, sp), path: value.slice(sp + 1) };
          break;
        }
        case 'filename':
          pathOf.set(sha, value);
          break;
        default:
          // author-tz, committer-mail, committer-tz and keys future gits add
          break;
      }
    }
    if (text === null) throw new BlameParseError(i, 'a line header without its content line');
    lines.push({ line: Number(m[3]), sha, origLine: Number(m[2]), origPath: pathOf.get(sha) ?? '', text });
  }
  lines.sort((a, b) => a.line - b.line);
  return { lines, commits };
}
