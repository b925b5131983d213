/**
 * The GitHub the settings name (lineage.github.url, github.com by default) and the editor's
 * signed-in session for it. The session is only looked up silently here; signing in is the
 * "Sign in to GitHub" command. A github-enterprise session's token goes to its own server only.
 */
import * as vscode from 'vscode';
import { enterpriseSessionProblem } from '../core/sources/sourceChoice';

export class GitHubAuth {
  constructor(
    private readonly configuredUrl: () => string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  apiUrl(): string {
    return this.configuredUrl() || 'https://api.github.com';
  }

  /** github.com sessions come from the "github" provider, Enterprise Server from "github-enterprise". */
  provider(): string {
    return new URL(this.apiUrl()).hostname === 'api.github.com' ? 'github' : 'github-enterprise';
  }

  /** Why the GitHub session cannot serve `lineage.github.url`, or null. */
  sessionProblem(): string | null {
    if (this.provider() !== 'github-enterprise') return null;
    return enterpriseSessionProblem(this.apiUrl(), vscode.workspace.getConfiguration('github-enterprise').get<string>('uri'));
  }

  /** The signed-in session's token, looked up silently; null when there is none or it may not be sent. */
  async sessionToken(): Promise<string | null> {
    const problem = this.sessionProblem();
    if (problem) {
      this.log.warn(`GitHub: ${problem}`);
      return null;
    }
    return (await vscode.authentication.getSession(this.provider(), ['repo'], { silent: true }))?.accessToken ?? null;
  }
}
