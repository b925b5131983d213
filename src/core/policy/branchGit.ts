/**
 * What git says about a branch under review: its commits (with signature status), the pull
 * request's diff as of any commit (as a patch id, so a rebase or a merge of the base that changes
 * nothing in it keeps the same id), and the lines a commit touched.
 */
import { checkRevision, GitError } from '../git/gitRunner';
import type { Repository } from '../git/repository';
import { signatureSettings } from '../git/signatures';

export interface BranchCommit {
  sha: string;
  parents: string[];
  author: string;
  authorEmail: string;
  committedAt: string;
  /** git's %G?: G good, U good but untrusted key, N none, B bad, E cannot be checked, X/Y expired, R revoked. */
  signature: string;
  subject: string;
  message: string;
}

const userRef = /^[A-Za-z0-9._/@{}^~+-]+$/;

/** A ref typed by a user (--base, --head): resolved to a commit id, or a clear error. */
export async function resolveRef(repo: Repository, ref: string): Promise<string> {
  if (!userRef.test(ref) || ref.startsWith('-')) throw new GitError('badRevision', `not a usable ref: "${ref.slice(0, 80)}"`);
  const out = await repo.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).catch(() => '');
  const sha = out.trim();
  if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new GitError('badRevision', `unknown ref "${ref}" in this clone (git fetch?)`);
  return sha;
}

/** The first of the usual base branches that exists. */
export async function defaultBase(repo: Repository): Promise<string> {
  for (const ref of ['origin/HEAD', 'origin/main', 'origin/master', 'main', 'master']) {
    const sha = await resolveRef(repo, ref).catch(() => null);
    if (sha) return ref;
  }
  throw new GitError('badRevision', 'no base branch found (tried origin/HEAD, origin/main, origin/master, main, master): pass --base');
}

/** Commits reachable from head and not from base, oldest first, each with git's verdict on its signature. */
export async function branchCommits(repo: Repository, base: string, head: string): Promise<BranchCommit[]> {
  const format = ['%H', '%P', '%an', '%ae', '%cI', '%G?', '%s', '%B'].join('%x1f') + '%x1e';
  const out = await repo.run([
    ...(await signatureSettings(repo)),
    'log',
    '--reverse',
    `--format=${format}`,
    '--end-of-options',
    `${checkRevision(base)}..${checkRevision(head)}`,
  ]);
  return out
    .split('\x1e')
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r.trim() !== '')
    .map((record) => {
      const [sha, parents, author, authorEmail, committedAt, signature, subject, message] = record.split('\x1f');
      return {
        sha: sha!,
        parents: parents ? parents.split(' ') : [],
        author: author!,
        authorEmail: authorEmail!,
        committedAt: committedAt!,
        signature: signature!,
        subject: subject!,
        message: (message ?? '').trim(),
      };
    });
}

/** Patch ids of the pull request's diff (merge base with `base` .. commit), cached per commit. */
export class PullRequestDiffs {
  private readonly ids = new Map<string, Promise<string>>();

  constructor(
    private readonly repo: Repository,
    private readonly base: string,
  ) {}

  /** Identifies the change the pull request makes as of `commit`; equal ids mean equal changes. */
  patchId(commit: string): Promise<string> {
    const sha = checkRevision(commit);
    let cached = this.ids.get(sha);
    if (!cached) {
      cached = (async () => {
        const mergeBase = (await this.repo.run(['merge-base', '--end-of-options', checkRevision(this.base), sha])).trim();
        const diff = await this.repo.run(['diff', '--no-textconv', '--no-ext-diff', '--end-of-options', mergeBase, sha]);
        if (diff.trim() === '') return 'empty';
        const id = (await this.repo.runWithInput(['patch-id', '--stable'], diff)).toString('utf8').trim().split(' ')[0];
        return id || 'empty';
      })();
      this.ids.set(sha, cached);
    }
    return cached;
  }
}

/** The lines a commit added or changed, per file ("path:12-14"), from its first parent. */
export async function touchedLines(repo: Repository, commit: BranchCommit): Promise<string[]> {
  const parent = commit.parents[0];
  if (!parent) return [];
  const diff = await repo.run([
    'diff',
    '--no-textconv',
    '--no-ext-diff',
    '--unified=0',
    '--end-of-options',
    checkRevision(parent),
    checkRevision(commit.sha),
  ]);
  const touched: string[] = [];
  let file = '';
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) file = line === '+++ /dev/null' ? '' : line.replace(/^\+\+\+ b\//, '');
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && file) {
      const start = Number(hunk[3]);
      const count = hunk[4] === undefined ? 1 : Number(hunk[4]);
      if (count === 0) touched.push(`${file}:${start} (lines removed)`);
      else touched.push(count === 1 ? `${file}:${start}` : `${file}:${start}-${start + count - 1}`);
    }
  }
  return touched;
}
