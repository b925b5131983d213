/**
 * The editor's side of the engine: it knows the workspace's trust, the settings, the secrets and
 * the repository of each document, and asks the core's LineageSession for everything else (source
 * choice, caches, fall-back, approvals), so the hover, gutter, CodeLens, status bar, views and
 * diagnostics share one computation per buffer. Nothing here starts a git process or a network
 * call while the workspace is untrusted.
 */
import * as vscode from 'vscode';
import type { Repository } from '../core/git/repository';
import type { FileLineage } from '../core/lineage/lineLineage';
import type { ApprovalState } from '../core/session/approvalState';
import { LineageSession, type SessionConfig } from '../core/session/lineageSession';
import { SourceChoiceError, type ChosenSource } from '../core/sources/sourceChoice';
import { DeployTagSource } from '../core/sources/deployTags';
import { GitHubAuth } from './githubAuth';
import type { GitLabToken } from '../core/sources/gitlab/gitlabClient';
import { gitlabInstance } from '../core/sources/gitlab/gitlabInstance';
import { defaultGitlabUrl } from '../core/sources/sourceChoice';
import { Repositories, type FoundRepository } from './repositories';
import { readSettings, type Settings } from './settings';

export type { ApprovalState };
export const tokenKey = 'lineage.api.token';
/** The GitLab token a user stored (Code Lineage: Set GitLab Token), for the instance lineage.gitlab.url names. */
export const gitlabTokenKey = 'lineage.gitlab.token';

/** A document's lineage, or why there is none. */
export type Lineage =
  { ok: true; file: FileLineage; repo: Repository; notice: string | null; signInTo: string | null } | { ok: false; reason: string };

export class LineageController implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when cached lineage was dropped (HEAD moved, new data, settings, trust). */
  readonly onDidChange = this.changed.event;
  private readonly repositories: Repositories;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly poll: NodeJS.Timeout;
  private dataVersion: string | null = null;
  settings: Settings;
  readonly session: LineageSession;
  /** Which GitHub the settings name, and the editor's signed-in session for it. */
  readonly github: GitHubAuth;

  constructor(
    secrets: vscode.SecretStorage,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.settings = readSettings(log);
    this.repositories = new Repositories(
      log,
      () => this.refresh('HEAD or refs changed'),
      () => this.gitlabUrl(),
    );
    this.github = new GitHubAuth(() => this.settings.githubUrl, log);
    this.session = new LineageSession(
      this.sessionConfig(),
      {
        apiToken: async () => (await secrets.get(tokenKey)) ?? null,
        githubToken: () => this.github.sessionToken(),
        githubTokenHelp: 'run "Code Lineage: Sign in to GitHub"',
        gitlabToken: () => gitlabToken(secrets, this.gitlabUrl(), log),
        gitlabTokenHelp: 'run "Code Lineage: Set GitLab Token"',
      },
      (message) => log.warn(message),
    );
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        // The Enterprise provider's server decides whether its session may serve lineage.github.url.
        if (!e.affectsConfiguration('lineage') && !e.affectsConfiguration('github-enterprise.uri')) return;
        this.settings = readSettings(log);
        void this.session.configure(this.sessionConfig()).then(() => this.refresh('settings changed'));
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh('workspace trusted')),
      secrets.onDidChange((e) => {
        if (e.key === tokenKey || e.key === gitlabTokenKey)
          void this.session.configure(this.sessionConfig()).then(() => this.refresh('token changed'));
      }),
    );
    // The service's data version is checked while the window has focus, so new deployments and
    // findings show up without a reload and an idle window costs nothing.
    this.poll = setInterval(() => {
      if (vscode.window.state.focused) void this.checkDataVersion();
    }, 30_000);
  }

  private sessionConfig(): SessionConfig {
    return {
      source: this.settings.source,
      apiUrl: this.settings.apiUrl || null,
      githubUrl: this.github.apiUrl(),
      gitlabUrl: this.gitlabUrl(),
      detectMoves: this.settings.detectMoves,
    };
  }

  /** The GitLab instance lineage.gitlab.url names (an API URL names its instance), gitlab.com by default. */
  gitlabUrl(): string {
    return gitlabInstance(this.settings.gitlabUrl || defaultGitlabUrl);
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** Drops every cached result and tells the views to ask again. */
  refresh(why: string): void {
    this.log.debug(`refresh: ${why}`);
    this.session.invalidate();
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
    const found = await this.repository(document);
    if (!found)
      return {
        ok: false,
        reason: !this.trusted ? 'untrusted' : document.uri.scheme !== 'file' ? 'not a file on disk' : 'not in a git repository',
      };
    let path: string;
    try {
      path = found.repo.relativePath(document.uri.fsPath);
    } catch {
      return { ok: false, reason: 'outside the repository' };
    }
    const text = document.getText();
    const request = { repo: found.repo, path, slug: found.slug, text, contents: document.isDirty ? text : undefined, withSource };
    try {
      // Shown in the status bar only while it runs: a cold large file takes about a git blame.
      const answer = withSource
        ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Code Lineage: ${path}` }, () =>
            this.session.lineage(request),
          )
        : await this.session.lineage(request);
      return { ok: true, file: answer.file, repo: found.repo, notice: answer.notice, signInTo: answer.signInTo };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.warn(`lineage of ${path}: ${message}`);
      return { ok: false, reason: message };
    }
  }

  /** The source in use for a repository and why; deploy tags (with the reason) when the setting cannot be met. */
  async chosenSource(repo: Repository): Promise<ChosenSource> {
    try {
      return await this.session.source(repo);
    } catch (e) {
      if (!(e instanceof SourceChoiceError)) this.log.warn(`source: ${(e as Error).message}`);
      return { kind: 'git', source: new DeployTagSource(repo), why: `git only (deploy tags): ${(e as Error).message}` };
    }
  }

  /** The branch's approval chain (as `lineage check` computes it), cached until the next refresh. */
  async approvalState(document: vscode.TextDocument): Promise<ApprovalState> {
    if (!this.trusted) return { ok: false, reason: 'untrusted' };
    const found = await this.repository(document);
    if (!found) return { ok: false, reason: 'not in a git repository' };
    return this.session.approvals(found.repo, found.slug);
  }

  /** The repository holding a file or folder, for commands that start from no document. */
  repositoryOf(uri: vscode.Uri): Promise<FoundRepository | null> {
    if (!this.trusted || uri.scheme !== 'file') return Promise.resolve(null);
    return this.repositories.holding(uri.fsPath.endsWith('/') ? uri.fsPath : `${uri.fsPath}/.`);
  }

  /** The repository of a document (owner/name and the repository), for views and commands. */
  repository(document: vscode.TextDocument): Promise<FoundRepository | null> {
    if (!this.trusted || document.uri.scheme !== 'file') return Promise.resolve(null);
    return this.repositories.holding(document.uri.fsPath);
  }

  /** The repository of the active editor's file, if any (and the workspace is trusted). */
  activeRepository(): Promise<FoundRepository | null> {
    const document = vscode.window.activeTextEditor?.document;
    return document ? this.repository(document) : Promise.resolve(null);
  }

  private async checkDataVersion(): Promise<void> {
    if (!this.trusted) return;
    try {
      const client = await this.session.serviceClient();
      if (!client) return;
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
    this.repositories.dispose();
    void this.session.close();
  }
}

/**
 * The token for the GitLab instance: on gitlab.com the editor's GitLab sign-in when a GitLab
 * authentication provider is installed (GitLab Workflow), else the token stored with "Set GitLab
 * Token". A stored token is kept with the instance it was given for and sent to that one only.
 */
async function gitlabToken(secrets: vscode.SecretStorage, instance: string, log: vscode.LogOutputChannel): Promise<GitLabToken | null> {
  const stored = await secrets.get(gitlabTokenKey);
  if (stored) {
    try {
      const { instance: forInstance, token } = JSON.parse(stored) as { instance?: string; token?: string };
      if (token && forInstance === instance) return { kind: 'private', value: token };
      if (token) log.warn(`the stored GitLab token is for ${forInstance}, not ${instance}: not sent`);
    } catch {
      log.warn('the stored GitLab token is unreadable; set it again');
    }
  }
  if (instance !== defaultGitlabUrl) return null;
  try {
    const session = await vscode.authentication.getSession('gitlab', ['read_api'], { silent: true });
    return session ? { kind: 'oauth', value: session.accessToken } : null;
  } catch {
    // No GitLab authentication provider is installed.
    return null;
  }
}
