/**
 * The one place the editor asks for lineage. It knows the workspace's trust, the settings, the
 * repository of each document and the configured source, and it caches whole-file results so
 * the hover, gutter, CodeLens, status bar and diagnostics all share one computation per buffer.
 *
 * Two results per buffer: git only (fast, shown at once) and full (with the service's data).
 * Nothing here starts a git process or a network call while the workspace is untrusted.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { GitError } from '../core/git/gitRunner';
import { Repository } from '../core/git/repository';
import { DeployTagSource } from '../core/sources/deployTags';
import { bufferHash, fileLineage } from '../core/lineage/fileLineage';
import type { BlameResult } from '../core/git/blamePorcelain';
import { LineageCache } from '../core/lineage/lineageCache';
import type { FileLineage } from '../core/lineage/lineLineage';
import type { LineageSource } from '../core/sources/lineageSource';
import type { Deployment, Finding } from '../core/model/domain';
import { ServiceSource } from '../core/sources/serviceSource';
import { GitHubError, type GitHubClient } from '../core/sources/github/githubClient';
import { chooseSource, enterpriseSessionProblem, GitHubSourcePool } from '../core/sources/sourceChoice';
import { ApiClient } from '../core/sources/apiClient';
import { ApiError } from '../core/sources/apiError';
import { defaultBase } from '../core/policy/branchGit';
import { checkBranch, type CheckResult } from '../core/policy/checkBranch';
import { readSettings, type Settings } from './settings';

/** The current branch's approval state: the check's result and the commits no approval covers. */
export type ApprovalState =
  | { ok: true; result: CheckResult; unapproved: Set<string>; lastApproval: { reviewer: string; commit: string } | null; policyFile: string | null }
  | { ok: false; reason: string };

export const tokenKey = 'lineage.api.token';

/** A document's lineage, or why there is none. */
export type Lineage = { ok: true; file: FileLineage; repo: Repository; notice: string | null; signInTo: string | null } | { ok: false; reason: string };

interface RepoEntry {
  repo: Repository;
  slug: string | null;
  watcher: vscode.Disposable;
}

export class LineageController implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when cached lineage was dropped (HEAD moved, new data, settings, trust). */
  readonly onDidChange = this.changed.event;
  private readonly full = new LineageCache();
  private readonly gitOnly = new LineageCache();
  /** One git blame per buffer text, shared by the git-only result, the full one and its fallback. */
  private readonly blames = new Map<string, Promise<BlameResult>>();
  private readonly repos = new Map<string, Promise<RepoEntry | null>>();
  private readonly notices = new Map<string, string | null>();
  /** Per repository root: the GitHub host a sign-in would make the source, while there is none. */
  private readonly signInHints = new Map<string, string | null>();
  private readonly approvals = new Map<string, Promise<ApprovalState>>();
  private client: ApiClient | null = null;
  private clientKey = '';
  /** GitHub sources live across files, so their caches and ETags make the next file free. */
  private readonly githubPool = new GitHubSourcePool();
  private dataVersion: string | null = null;
  private poll: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  settings: Settings;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.settings = readSettings(log);
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        // The Enterprise provider's server decides whether its session may serve lineage.github.url.
        if (!e.affectsConfiguration('lineage') && !e.affectsConfiguration('github-enterprise.uri')) return;
        this.settings = readSettings(log);
        this.githubPool.clear();
        this.refresh('settings changed');
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh('workspace trusted')),
      secrets.onDidChange((e) => {
        if (e.key === tokenKey) this.refresh('token changed');
      }),
    );
    // The service's data version is checked while the window has focus, so new deployments and
    // findings show up without a reload and an idle window costs nothing.
    this.poll = setInterval(() => {
      if (vscode.window.state.focused) void this.checkDataVersion();
    }, 30_000);
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** Drops every cached result and tells the views to ask again. */
  refresh(why: string): void {
    this.log.debug(`refresh: ${why}`);
    this.full.invalidate();
    this.gitOnly.invalidate();
    this.blames.clear();
    this.notices.clear();
    this.approvals.clear();
    this.changed.fire();
  }

  /** Git-only lineage (commit per line), which needs no network. */
  gitLineage(document: vscode.TextDocument): Promise<Lineage> {
    return this.compute(document, false);
  }

  /** Full lineage: git plus the configured source, degrading to git only with a notice. */
  lineage(document: vscode.TextDocument): Promise<Lineage> {
    return this.compute(document, true);
  }

  private async compute(document: vscode.TextDocument, withSource: boolean): Promise<Lineage> {
    if (!this.trusted) return { ok: false, reason: 'untrusted' };
    if (document.uri.scheme !== 'file') return { ok: false, reason: 'not a file on disk' };
    const entry = await this.repoFor(document.uri.fsPath);
    if (!entry) return { ok: false, reason: 'not in a git repository' };
    let path: string;
    try {
      path = entry.repo.relativePath(document.uri.fsPath);
    } catch {
      return { ok: false, reason: 'outside the repository' };
    }
    const text = document.getText();
    const contents = document.isDirty ? text : undefined;
    const cacheKey = `${entry.repo.root}\u0000${path}`;
    const detectMoves = this.settings.detectMoves;
    // Started only when a result is not cached already.
    const blame = () => this.blameOf(entry.repo, path, text, contents, detectMoves);
    try {
      if (!withSource) {
        const file = await this.gitOnly.file(cacheKey, text, () => fileLineage({ repo: entry.repo, path, contents, slug: entry.slug, source: null, detectMoves, blame: blame() }));
        return { ok: true, file, repo: entry.repo, notice: null, signInTo: null };
      }
      const file = await this.full.file(cacheKey, text, async () =>
        // Shown in the status bar only while it runs: a cold large file takes about a git blame.
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Code Lineage: ${path}` }, async () => {
          const source = await this.sourceFor(entry.repo);
          try {
            const result = await fileLineage({ repo: entry.repo, path, contents, slug: entry.slug, source, detectMoves, blame: blame() });
            // The hover speaks of where the line runs; unknown findings go to the status bar and the Findings view.
            this.notices.set(cacheKey, result.notices.find((n) => n !== result.findingsUnknown) ?? null);
            return result;
          } catch (e) {
            if (!ApiError.is(e) && !GitHubError.is(e)) throw e;
            this.log.warn(`${source.kind}: ${e.message}`);
            this.notices.set(cacheKey, ApiError.is(e) ? `service unavailable (${e.reason}): showing git only` : `GitHub: ${e.message}; showing git only`);
            return fileLineage({ repo: entry.repo, path, contents, slug: entry.slug, source: null, detectMoves, blame: blame() });
          }
        }),
      );
      return { ok: true, file, repo: entry.repo, notice: this.notices.get(cacheKey) ?? null, signInTo: file.source === 'git' ? this.signInHint(entry.repo) : null };
    } catch (e) {
      const message = GitError.is(e) ? e.message : e instanceof Error ? e.message : String(e);
      this.log.warn(`lineage of ${path}: ${message}`);
      return { ok: false, reason: message };
    }
  }

  private blameOf(repo: Repository, path: string, text: string, contents: string | undefined, detectMoves: boolean): Promise<BlameResult> {
    const key = `${repo.root}\u0000${path}\u0000${detectMoves}\u0000${bufferHash(text)}`;
    let blame = this.blames.get(key);
    if (!blame) {
      blame = repo.blame(path, contents, { detectMoves });
      blame.catch(() => this.blames.delete(key));
      this.blames.set(key, blame);
      // Bounded like the lineage caches: the oldest text goes first.
      if (this.blames.size > 64) this.blames.delete(this.blames.keys().next().value!);
    }
    return blame;
  }

  /** The repository holding a file, opened once per folder; HEAD changes invalidate its results. */
  private repoFor(fsPath: string): Promise<RepoEntry | null> {
    const folder = dirname(fsPath);
    let entry = this.repos.get(folder);
    if (!entry) {
      entry = (async () => {
        try {
          const repo = await Repository.open(folder);
          const slug = await repo.originSlug();
          const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(repo.root), '.git/{HEAD,packed-refs,refs/**}'));
          const moved = () => this.refresh('HEAD or refs changed');
          watcher.onDidChange(moved);
          watcher.onDidCreate(moved);
          watcher.onDidDelete(moved);
          return { repo, slug, watcher };
        } catch (e) {
          if (!GitError.is(e, 'notARepository')) this.log.warn(`git: ${(e as Error).message}`);
          return null;
        }
      })();
      this.repos.set(folder, entry);
    }
    return entry;
  }

  /**
   * The source `lineage.source` names: the service when its URL is set, else GitHub when the origin
   * is there and the user has signed in (the session is only looked up silently here; signing in
   * is the "Sign in to GitHub" command), else deploy tags in the repository itself.
   */
  async sourceFor(repo: Repository): Promise<LineageSource> {
    return (await this.chosenSource(repo)).source;
  }

  /** The source with why it was chosen, and GitHub's client when that is the source. */
  async chosenSource(repo: Repository): Promise<{ source: LineageSource; why: string; github?: GitHubClient }> {
    const client = await this.apiClient();
    if (client && this.settings.source !== 'github' && this.settings.source !== 'git') return { source: new ServiceSource(client), why: `the service at ${this.settings.apiUrl}` };
    const githubUrl = this.githubUrl();
    try {
      const chosen = await chooseSource({
        setting: this.settings.source === 'service' ? 'git' : this.settings.source,
        repo,
        githubUrl,
        githubPool: this.githubPool,
        githubToken: () => this.githubSessionToken(),
      });
      this.signInHints.set(repo.root, chosen.signInTo ?? null);
      return { source: chosen.source, why: chosen.why, ...(chosen.github ? { github: chosen.github } : {}) };
    } catch (e) {
      this.log.warn(`source: ${(e as Error).message}`);
      return { source: new DeployTagSource(repo), why: `git only (deploy tags): ${(e as Error).message}` };
    }
  }

  /**
   * A deployment by id in an environment of the active editor's repository, from whichever source
   * is in use (GitHub or deploy tags; the service answers by id itself).
   */
  async deploymentIn(environment: string, id: string): Promise<{ deployment: Deployment | null; source: LineageSource['kind'] } | null> {
    const found = await this.activeRepository();
    if (!found?.slug) return null;
    const source = await this.sourceFor(found.repo);
    const history = await source.history(found.slug, environment, 200);
    return { deployment: history.find((d) => d.id === id) ?? null, source: source.kind };
  }

  /** An open finding by id in the active editor's repository, from the source in use (GitHub's alerts). */
  async findingIn(id: string): Promise<Finding | null> {
    const found = await this.activeRepository();
    if (!found?.slug) return null;
    const source = await this.sourceFor(found.repo);
    return (await source.openFindings?.(found.slug))?.find((f) => f.id === id) ?? null;
  }

  githubUrl(): string {
    return this.settings.githubUrl || 'https://api.github.com';
  }

  /**
   * The signed-in session's token, looked up silently; none for an Enterprise Server other than
   * the one the `github-enterprise` provider signs in to.
   */
  private async githubSessionToken(): Promise<string | null> {
    const problem = this.githubSessionProblem();
    if (problem) {
      this.log.warn(`GitHub: ${problem}`);
      return null;
    }
    return (await vscode.authentication.getSession(this.githubProvider(), ['repo'], { silent: true }))?.accessToken ?? null;
  }

  /** The GitHub host a sign-in would make the source of this repository, while git is (for want of a token). */
  signInHint(repo: Repository): string | null {
    return this.signInHints.get(repo.root) ?? null;
  }

  /** Why the GitHub session cannot serve `lineage.github.url`, or null. */
  githubSessionProblem(): string | null {
    if (this.githubProvider() !== 'github-enterprise') return null;
    return enterpriseSessionProblem(this.githubUrl(), vscode.workspace.getConfiguration('github-enterprise').get<string>('uri'));
  }

  /** github.com sessions come from the "github" provider, Enterprise Server from "github-enterprise". */
  githubProvider(): string {
    return new URL(this.githubUrl()).hostname === 'api.github.com' ? 'github' : 'github-enterprise';
  }

  /** The service client for the current URL and token, or null when none is configured. */
  async apiClient(): Promise<ApiClient | null> {
    if (!this.trusted || !this.settings.apiUrl) return null;
    const token = await this.secrets.get(tokenKey);
    const key = `${this.settings.apiUrl}\u0000${token ?? ''}`;
    if (!this.client || this.clientKey !== key) {
      void this.client?.close();
      this.client = new ApiClient({ baseUrl: this.settings.apiUrl, token, retries: 1, timeoutMs: 10_000 });
      this.clientKey = key;
    }
    return this.client;
  }

  /** The repository holding a file or folder, for commands that start from no document. */
  async repositoryOf(uri: vscode.Uri): Promise<{ repo: Repository; slug: string | null } | null> {
    if (!this.trusted || uri.scheme !== 'file') return null;
    const entry = await this.repoFor(uri.fsPath.endsWith('/') ? uri.fsPath : `${uri.fsPath}/.`);
    return entry ? { repo: entry.repo, slug: entry.slug } : null;
  }

  /** The repository of the active editor's file, if any (and the workspace is trusted). */
  activeRepository(): Promise<{ repo: Repository; slug: string | null } | null> {
    const document = vscode.window.activeTextEditor?.document;
    return document ? this.repository(document) : Promise.resolve(null);
  }

  /** The repository's owner/name and the repository of a document, for views and commands. */
  async repository(document: vscode.TextDocument): Promise<{ repo: Repository; slug: string | null } | null> {
    if (!this.trusted || document.uri.scheme !== 'file') return null;
    const entry = await this.repoFor(document.uri.fsPath);
    return entry ? { repo: entry.repo, slug: entry.slug } : null;
  }

  /** The branch's approval chain (as `lineage check` computes it), cached until the next refresh. */
  approvalState(document: vscode.TextDocument): Promise<ApprovalState> {
    return (async (): Promise<ApprovalState> => {
      if (!this.trusted) return { ok: false, reason: 'untrusted' };
      const found = document.uri.scheme === 'file' ? await this.repoFor(document.uri.fsPath) : null;
      if (!found) return { ok: false, reason: 'not in a git repository' };
      let cached = this.approvals.get(found.repo.root);
      if (!cached) {
        cached = this.computeApprovals(found);
        this.approvals.set(found.repo.root, cached);
      }
      return cached;
    })();
  }

  private async computeApprovals(entry: RepoEntry): Promise<ApprovalState> {
    // Reviews come from the same source as the hover: the service, or GitHub directly.
    const source = await this.sourceFor(entry.repo);
    if (source.kind === 'git' || !entry.slug) return { ok: false, reason: 'approvals come from the traceability service or GitHub: configure the service, or sign in to GitHub' };
    try {
      const base = await defaultBase(entry.repo);
      const branchName = await entry.repo.branch();
      // The base's committed policy, as `lineage check` reads it: never the branch's own.
      const result = await checkBranch({ repo: entry.repo, source, slug: entry.slug, base, head: 'HEAD', branchName });
      const file = result.policy.file;
      const unapprovedViolation = result.violations.find((v) => v.rule === 'unapproved-commits');
      const commits = (unapprovedViolation?.evidence.commits as { sha: string }[] | undefined) ?? [];
      const stale = result.violations.filter((v) => v.rule === 'stale-approval');
      const lastApproval = result.approvals.filter((a) => a.state === 'approved' && a.commit).at(-1);
      return {
        ok: true,
        result,
        unapproved: new Set(result.pullRequest ? commits.map((c) => c.sha) : []),
        lastApproval: lastApproval ? { reviewer: lastApproval.reviewer, commit: lastApproval.commit! } : stale.length ? { reviewer: String(stale[0]!.evidence.reviewer), commit: String(stale[0]!.evidence.approvedCommit) } : null,
        policyFile: file,
      };
    } catch (e) {
      this.log.warn(`approvals: ${(e as Error).message}`);
      return { ok: false, reason: (e as Error).message };
    }
  }

  private async checkDataVersion(): Promise<void> {
    const client = await this.apiClient();
    if (!client) return;
    try {
      const health = await client.health();
      if (this.dataVersion !== null && health.dataVersion !== this.dataVersion) this.refresh('new data in the service');
      this.dataVersion = health.dataVersion;
    } catch (e) {
      this.log.debug(`data version check: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    clearInterval(this.poll);
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
    for (const entry of this.repos.values()) void entry.then((e) => e?.watcher.dispose());
    void this.client?.close();
  }
}
