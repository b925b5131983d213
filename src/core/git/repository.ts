/**
 * The git questions the engine asks, each one process through the safe runner, with every
 * revision from outside checked and every path after `--`.
 */
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isRepoSlug } from '../model/repoSlug';
import { parseBlamePorcelain, type BlameResult } from './blamePorcelain';
import { BoundedCache } from '../util/boundedCache';
import { groupBy } from '../util/groupBy';
import { filesStamp } from '../util/fileStamps';
import { checkRevision, GitError, GitRunner } from './gitRunner';
import { mergesIntroducing, parseParents, type ParentMap } from './introducingMerges';

export class Repository {
  // Bounded: an editor keeps one Repository per folder for its whole session.
  // Texts of files at commits: up to 64 MB of them (a JavaScript string holds two bytes a character).
  private readonly texts = new BoundedCache<string | null>(512, { maxBytes: 64 << 20, sizeOf: (t) => 64 + (t?.length ?? 0) * 2 });
  private readonly ancestry = new BoundedCache<boolean>(4096);
  private readonly names = new Map<string, Promise<string[]>>();
  private readonly present = new Map<string, boolean>();
  private origin: Promise<string | null> | undefined;
  private headAt: { signature: string; sha: Promise<string | null> } | undefined;
  /** The history with parents that introducingMerges last read: for a HEAD, since a time. */
  private graphs: { head: string; since: number; parents: Promise<ParentMap> } | undefined;

  private constructor(
    readonly root: string,
    private readonly git: GitRunner,
    /** The repository's own git directory (a worktree's, for a linked worktree), and the one its refs live in. */
    private readonly gitDir: string,
    private readonly commonDir: string,
  ) {}

  /** Opens the repository containing `dir`; GitError 'notARepository' when there is none. */
  /**
   * The repository `dir` is in. `located` is git's answer to `rev-parse --show-toplevel
   * --absolute-git-dir --git-common-dir` run in `dir`, when the caller has asked it already (null:
   * the caller could not, ask).
   */
  static async open(dir: string, timeoutMs?: number, located?: Promise<string | null>): Promise<Repository> {
    const probe = new GitRunner(dir, { timeoutMs });
    // The configuration listing starts now, beside the question where the top is: run from the
    // top (the usual case) the repository's runner finds it done or under way.
    probe.guard().catch(() => undefined);
    const [top = '', gitDir = '', commonDir = ''] = (
      (await located) ?? (await probe.runUnlisted(['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir']))
    ).split('\n');
    return new Repository(top, new GitRunner(top, { timeoutMs }), gitDir, resolve(dir, commonDir));
  }

  /**
   * The commits where a shallow clone's history stops (git's `shallow` file), empty for a full
   * clone. Blame credits every line older than the cut to the commit at the cut.
   */
  shallowCommits(): Set<string> {
    try {
      return new Set(
        readFileSync(join(this.commonDir, 'shallow'), 'utf8')
          .split('\n')
          .filter((l) => /^[0-9a-f]{40,64}$/.test(l)),
      );
    } catch {
      return new Set();
    }
  }

  /** Repository-relative path with forward slashes; throws for paths outside the repository. */
  relativePath(path: string, cwd = process.cwd()): string {
    const abs = isAbsolute(path) ? path : resolve(cwd, path);
    const rel = relative(this.root, abs);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new GitError('failed', `${path} is outside the repository at ${this.root}`);
    }
    return rel.split(sep).join('/');
  }

  /**
   * The commit HEAD names, or null on an unborn branch. Asked before every file's lineage, so the
   * answer is kept while the files that decide it are unchanged: HEAD, the branch's loose ref, the
   * packed refs and the reftable list (git replaces each by renaming a new file over it, so a new
   * inode or time means a new answer).
   */
  head(): Promise<string | null> {
    const signature = this.headSignature();
    if (this.headAt && signature !== null && this.headAt.signature === signature) return this.headAt.sha;
    const read = signature === null ? undefined : this.headFromFiles();
    const sha =
      read !== undefined
        ? Promise.resolve(read)
        : this.git.run(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).then(
            (out) => out.trim() || null,
            () => null,
          );
    this.headAt = signature === null ? undefined : { signature, sha };
    return sha;
  }

  /**
   * HEAD's commit read from the files git keeps it in, for the usual cases only: a detached HEAD,
   * or a branch whose ref is a loose file or a line of packed-refs. Anything else (an unborn
   * branch, reftable, a symbolic ref to elsewhere) is undefined and git is asked. Reading spares a
   * process, which costs a short command more than the reading.
   */
  private headFromFiles(): string | undefined {
    const sha = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
    try {
      const head = readFileSync(join(this.gitDir, 'HEAD'), 'utf8').trim();
      if (sha.test(head)) return head;
      const ref = /^ref: (refs\/heads\/[^\n]+)$/.exec(head)?.[1];
      if (!ref || ref.split('/').includes('..')) return undefined;
      try {
        const loose = readFileSync(join(this.commonDir, ref), 'utf8').trim();
        return sha.test(loose) ? loose : undefined;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
      }
      const packed = readFileSync(join(this.commonDir, 'packed-refs'), 'utf8');
      for (const line of packed.split('\n')) {
        const space = line.indexOf(' ');
        if (space > 0 && line.slice(space + 1) === ref) return sha.test(line.slice(0, space)) ? line.slice(0, space) : undefined;
      }
      return undefined;
    } catch {
      return undefined;
    }
  }

  /** What HEAD's answer depends on, or null when it cannot be told (then git is asked every time). */
  private headSignature(): string | null {
    if (!this.gitDir) return null;
    try {
      const head = readFileSync(join(this.gitDir, 'HEAD'), 'utf8');
      const ref = /^ref: (refs\/[^\n]+)/.exec(head)?.[1];
      const files = [join(this.gitDir, 'HEAD'), join(this.commonDir, 'packed-refs'), join(this.commonDir, 'reftable', 'tables.list')];
      if (ref) files.push(join(this.commonDir, ref));
      return `${head}|${filesStamp(files)}`;
    } catch {
      return null;
    }
  }

  /** The checked-out branch's short name, or null on a detached HEAD. */
  async branch(): Promise<string | null> {
    return (await this.git.run(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim() || null;
  }

  /**
   * The `origin` remote's URL, or null without one. Read once per opened repository (the source
   * choice and the slug both need it, and every file's lineage asks for the source), from the
   * configuration listing the runner makes anyway, so it costs no process.
   */
  originUrl(): Promise<string | null> {
    this.origin ??= this.git.guard().then(
      (guard) => guard.originUrl,
      () => null,
    );
    return this.origin;
  }

  /**
   * `owner/name` of the `origin` remote (https, ssh or scp-like URL), or null. On the GitLab
   * instance `gitlabInstance` names (gitlab.com by default), the project's full path instead
   * (`group/subgroup/name`), without the instance's own path prefix.
   */
  async originSlug(gitlabInstance = 'https://gitlab.com'): Promise<string | null> {
    const url = await this.originUrl();
    if (!url) return null;
    const full = gitlabProjectPath(url, gitlabInstance);
    if (full) return full;
    const m = /[:/]([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url);
    return m ? `${m[1]}/${m[2]}` : null;
  }

  async isTracked(path: string): Promise<boolean> {
    const out = await this.git.run(['ls-files', '--error-unmatch', '--', path]).catch(() => '');
    return out.trim() !== '';
  }

  async hasCommit(sha: string): Promise<boolean> {
    return (await this.commitsPresent([sha])).size > 0;
  }

  /**
   * Which of these commits exist in the clone, in one `cat-file --batch-check`; the answers are
   * cached, since a commit that exists stays.
   */
  async commitsPresent(shas: string[]): Promise<Set<string>> {
    const revs = [...new Set(shas.map(checkRevision))].filter((r) => !this.present.has(r));
    if (revs.length > 0) {
      const out = (await this.git.runWithInput(['cat-file', '--batch-check'], revs.map((r) => `${r}^{commit}`).join('\n') + '\n')).toString(
        'utf8',
      );
      out.split('\n').forEach((line, i) => {
        const rev = revs[i];
        if (rev) this.present.set(rev, / commit \d+$/.test(line));
      });
    }
    return new Set(shas.map((s) => s.toLowerCase()).filter((s) => this.present.get(s)));
  }

  /**
   * Each commit's committer time (Unix seconds), in one process; commits the clone lacks are left
   * out (git refuses the whole list for one it lacks: then those it has are asked again).
   */
  async commitTimes(commits: string[]): Promise<Map<string, number>> {
    const times = new Map<string, number>();
    const log = async (revs: string[]) =>
      revs.length
        ? (await this.git.runWithInput(['log', '--no-walk=unsorted', '--stdin', '--format=%H %ct'], revs.join('\n') + '\n')).toString(
            'utf8',
          )
        : '';
    const wanted = [...new Set(commits.map(checkRevision))];
    const dated = await log(wanted).catch(async () => log([...(await this.commitsPresent(wanted))]).catch(() => ''));
    for (const line of dated.split('\n')) {
      const [sha, at] = line.split(' ');
      const t = Number(at);
      if (sha && Number.isFinite(t) && t > 0) times.set(sha, t);
    }
    return times;
  }

  /**
   * For each of `commits` made on the own line of a branch that a merge on HEAD's first-parent line
   * brought in, that merge (introducingMerges.ts). Two processes: the commits' dates, then the
   * history since the oldest of them (a month earlier, for clocks that disagree), with parents.
   * Kept for the HEAD and the oldest date it was computed from.
   */
  async introducingMerges(commits: string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(commits.map(checkRevision))];
    const head = await this.head();
    if (wanted.length === 0 || head === null) return new Map();
    const times = [...(await this.commitTimes(wanted)).values()];
    if (times.length === 0) return new Map();
    const since = Math.min(...times) - 31 * 24 * 3600;
    let graph = this.graphs;
    if (!graph || graph.head !== head || graph.since > since) {
      // At most 100,000 commits (about 10 MB listed): a commit dated decades back cannot make this
      // read a whole giant history. A shorter listing only leaves more commits for the forge to place.
      const listing = this.git.run(['rev-list', '--parents', '--max-count=100000', `--since=${since}`, head]).then(parseParents);
      graph = { head, since, parents: listing };
      this.graphs = graph;
      listing.catch(() => (this.graphs = undefined));
    }
    const parents = await graph.parents;
    const found = mergesIntroducing(parents, head, new Set(wanted));
    // A listing that reaches every root is the whole history, and the answer is exact. One cut by
    // date or count could, where a commit is dated before one of its ancestors, hide a path by
    // which a commit was already on the main line: then each merge's own lines are asked of git
    // exactly (its other parents' first-parent chains, less what its first parent holds), and only
    // commits on them are kept; one process per merge that places something.
    if ([...parents.values()].every((ps) => ps.every((p) => parents.has(p)))) return found;
    const kept = new Map<string, string>();
    await Promise.all(
      [...groupBy(found, ([, merge]) => merge)].map(async ([merge, placed]) => {
        const [first, ...sides] = (parents.get(merge) ?? []).map(checkRevision);
        if (!first || sides.length === 0) return;
        const own = new Set((await this.git.run(['rev-list', '--first-parent', ...sides, '--not', first]).catch(() => '')).split('\n'));
        for (const [sha] of placed) if (own.has(sha)) kept.set(sha, merge);
      }),
    );
    return kept;
  }

  /**
   * The file's text at many commits with one `cat-file --batch` per name the file has had, so
   * walking twenty past deployments costs two or three processes, not forty.
   */
  async prefetchTexts(shas: string[], path: string): Promise<void> {
    let pending = [...new Set(shas.map(checkRevision))].filter((r) => !this.texts.has(`${r}:${path}`));
    if (pending.length === 0) return;
    const found = new Map<string, string>();
    // The current name first; only revisions that lack it pay for following renames back.
    const batchFor = async (name: string) => {
      const out = await this.git.runWithInput(['cat-file', '--batch'], pending.map((r) => `${r}:${name}`).join('\n') + '\n');
      let offset = 0;
      for (const rev of pending) {
        const eol = out.indexOf(10, offset);
        const header = out.subarray(offset, eol).toString('utf8');
        offset = eol + 1;
        const m = / blob (\d+)$/.exec(header);
        if (m) {
          const size = Number(m[1]);
          found.set(rev, out.subarray(offset, offset + size).toString('utf8'));
          offset += size + 1;
        }
      }
      pending = pending.filter((r) => !found.has(r));
    };
    await batchFor(path);
    if (pending.length > 0) {
      for (const name of (await this.historicalNames(path)).slice(1)) {
        if (pending.length === 0) break;
        await batchFor(name);
      }
    }
    for (const rev of shas.map((s) => s.toLowerCase())) {
      if (!this.texts.has(`${rev}:${path}`)) this.texts.set(`${rev}:${path}`, Promise.resolve(found.get(rev) ?? null));
    }
  }

  /**
   * The file as it is in the working tree, or null when it cannot be read. Only a guess at the
   * text git will blame (a checkout may convert line endings), so callers compare before use.
   */
  async workingText(path: string): Promise<string | null> {
    try {
      return await readFile(join(this.root, path), 'utf8');
    } catch {
      return null;
    }
  }

  /** Is `ancestor` contained in `descendant`'s history (a commit contains itself)? Cached. */
  isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const a = checkRevision(ancestor);
    const d = checkRevision(descendant);
    if (a === d) return Promise.resolve(true);
    const key = `${a}..${d}`;
    return this.ancestry.get(key, () =>
      this.git
        .run(['merge-base', '--end-of-options', a, d])
        .then((base) => base.trim() === a)
        .catch(() => false),
    );
  }

  /**
   * The file's text at a commit, following a rename made after it; null when the file did not
   * exist there. Cached per (commit, path): commits are immutable.
   */
  textAt(sha: string, path: string): Promise<string | null> {
    const rev = checkRevision(sha);
    const key = `${rev}:${path}`;
    return this.texts.get(key, () => this.readAt(rev, path));
  }

  private async readAt(rev: string, path: string): Promise<string | null> {
    for (const name of await this.historicalNames(path)) {
      const text = await this.git.run(['cat-file', 'blob', `${rev}:${name}`]).catch(() => null);
      if (text !== null) return text;
    }
    return null;
  }

  /**
   * Every name the file has had, newest first, following renames commit by commit (`git log
   * --follow`), so a revision from before a rename still finds the file even when the whole
   * change since then is too large for a single rename detection.
   */
  historicalNames(path: string): Promise<string[]> {
    let cached = this.names.get(path);
    if (!cached) {
      cached = this.git
        .run(['log', '--follow', '-M', '--no-textconv', '--name-only', '--format=%x00', '--', path])
        .then((out) => {
          const names = [path];
          for (const line of out.split('\n')) {
            const name = line.replace(/\0/g, '').trim();
            if (name && !names.includes(name)) names.push(name);
          }
          return names;
        })
        .catch(() => [path]);
      this.names.set(path, cached);
    }
    return cached;
  }

  /**
   * Blame of the committed file, or of `contents` (the editor's buffer) when given. Renames of the
   * file are followed (git does that by itself); `detectMoves` adds -M -C, which credits lines moved
   * within the file or copied from files changed in the same commit to their origin, at about 1.6x
   * the cost of a plain blame, so it is asked for rather than paid on every hover. Textconv is off,
   * and filter drivers are emptied by the runner (see assertUnfiltered).
   */
  async blame(path: string, contents?: string, options: { detectMoves?: boolean } = {}): Promise<BlameResult> {
    await this.assertUnfiltered(path, contents);
    const args = ['blame', '--porcelain', '--no-textconv', ...(options.detectMoves ? ['-M', '-C'] : [])];
    let scratch: string | undefined;
    try {
      if (contents !== undefined) {
        scratch = mkdtempSync(join(tmpdir(), 'lineage-buffer-'));
        const file = join(scratch, 'contents');
        writeFileSync(file, contents);
        args.push('--contents', file);
      }
      args.push('--', path);
      return parseBlamePorcelain(await this.git.run(args));
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  }

  /**
   * The filter driver (Git LFS, git-crypt) a configured `filter` attribute gives the path, or null.
   * Its program is never run, so the working file cannot be turned into what git stores.
   */
  async filterDriver(path: string): Promise<string | null> {
    const { filterDrivers } = await this.git.guard();
    if (filterDrivers.size === 0) return null;
    const out = await this.git.run(['check-attr', '-z', 'filter', '--', path]).catch(() => '');
    const driver = out.split('\0')[2];
    return driver && filterDrivers.has(driver) ? driver : null;
  }

  /**
   * Why the path's working text cannot be matched to history, or null: it goes through a filter
   * whose program would have to run. When the text git stores at HEAD and the text at hand agree (a
   * pointer file with LFS not installed, a filter that changes nothing) nothing needs to run.
   */
  async filteredReason(path: string, contents?: string): Promise<string | null> {
    const driver = await this.filterDriver(path);
    if (!driver) return null;
    const stored = await this.git.run(['cat-file', 'blob', `HEAD:${path}`]).catch(() => null);
    const text = contents ?? (await this.workingText(path));
    if (stored !== null && stored === text) return null;
    return `${path} goes through the "${driver}" filter, a program the repository's git configuration names and Code Lineage does not run; its working text is not what git stores, so its lines are not matched to history`;
  }

  /** GitError 'filtered' with filteredReason's words, when there is one. */
  async assertUnfiltered(path: string, contents?: string): Promise<void> {
    const reason = await this.filteredReason(path, contents);
    if (reason) throw new GitError('filtered', reason);
  }

  /**
   * True when git considers the file binary (it would not blame it line by line usefully). Git's
   * test is a NUL among the first 8,000 bytes unless an attribute says otherwise; where no
   * attributes file can apply, that test runs here on the working file, without a process.
   */
  async isBinary(path: string): Promise<boolean> {
    if (!(await this.attributesMayApply(path))) {
      const start = fileStart(join(this.root, path), 8000);
      if (start !== null) return start.includes(0);
    }
    const out = await this.git
      .run(['diff', '--no-textconv', '--numstat', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', 'HEAD', '--', path])
      .catch(() => '');
    return /^-\t-\t/.test(out);
  }

  /** Whether any attributes file git reads for `path` exists (the repository's, the user's, the system's). */
  private async attributesMayApply(path: string): Promise<boolean> {
    if ((await this.git.guard()).attributesFile) return true;
    const dirs = path.split('/').slice(0, -1);
    const candidates = [join(this.commonDir, 'info', 'attributes'), '/etc/gitattributes', join(this.root, '.gitattributes')];
    dirs.forEach((_, i) => candidates.push(join(this.root, ...dirs.slice(0, i + 1), '.gitattributes')));
    const home = process.env.HOME;
    const xdg = process.env.XDG_CONFIG_HOME || (home ? join(home, '.config') : '');
    if (xdg) candidates.push(join(xdg, 'git', 'attributes'));
    return candidates.some((file) => existsSync(file));
  }

  run(args: string[]): Promise<string> {
    return this.git.run(args);
  }

  /** Runs git with `input` on standard input (patch-id, cat-file --batch). */
  runWithInput(args: string[], input: string): Promise<Buffer> {
    return this.git.runWithInput(args, input);
  }
}

/** The first `bytes` bytes of a file, or null when it cannot be read. */
function fileStart(file: string, bytes: number): Buffer | null {
  let fd: number | undefined;
  try {
    // A symbolic link's blob is its target's name, not the bytes it leads to: git is asked then.
    if (!lstatSync(file).isFile()) return null;
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0));
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The project path of a remote URL on a GitLab instance (https://host/prefix, ssh://git@host:2222,
 * git@host:), or null when the URL is on another host or names no project.
 */
export function gitlabProjectPath(remote: string, instance: string): string | null {
  let want: URL;
  try {
    want = new URL(instance);
  } catch {
    return null;
  }
  let host: string;
  let path: string;
  const scp = /^(?:[^@/:]+@)?([^/:]+):(?!\/\/)(.+)$/.exec(remote);
  if (/^[a-z+]+:\/\//i.test(remote)) {
    let u: URL;
    try {
      u = new URL(remote);
    } catch {
      return null;
    }
    host = u.hostname.toLowerCase();
    path = decodeURIComponent(u.pathname);
    // Over http(s) a self-managed instance may live under a path (https://example.com/gitlab).
    const prefix = want.pathname.replace(/\/+$/, '');
    if (/^https?:$/.test(u.protocol) && prefix) {
      if (!path.startsWith(`${prefix}/`)) return null;
      path = path.slice(prefix.length);
    }
  } else if (scp) {
    host = scp[1]!.toLowerCase();
    path = scp[2]!;
  } else return null;
  if (host !== want.hostname.toLowerCase()) return null;
  const project = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  return isRepoSlug(project) ? project : null;
}
