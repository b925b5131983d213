/**
 * The line hover. Git facts render at once; the service's part is awaited for at most about
 * 100 ms, and when it lands later the hover is shown again at the cursor if it is still on that
 * line, the way GitLens refreshes its blame hover.
 */
import * as vscode from 'vscode';
import { defaultPolicy } from '../core/policy/policy';
import { hoverCommands } from '../core/present/markdown';
import { renderLineHover } from '../core/present/lineHover';
import type { Lineage, LineageController } from './lineageController';

const networkBudgetMs = 100;

export function trustedMarkdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text);
  // Only this extension's own commands may run from a hover link; no HTML, no theme icons.
  md.isTrusted = { enabledCommands: [...hoverCommands] };
  md.supportHtml = false;
  md.supportThemeIcons = false;
  return md;
}

export function untrustedHover(): vscode.MarkdownString {
  return trustedMarkdown(
    '**Code Lineage** is off in an untrusted workspace: it runs no git process and makes no network call here.\n\n' +
      '[Manage Workspace Trust](command:workbench.trust.manage) to see where this line runs.',
  );
}

export class LineageHoverProvider implements vscode.HoverProvider {
  constructor(private readonly controller: LineageController) {}

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    if (!this.controller.trusted) return new vscode.Hover(untrustedHover());
    const full = this.controller.lineage(document);
    const approvals = this.controller.approvalState(document);
    approvals.catch(() => undefined);
    const timedOut = Symbol('timeout');
    const first = await Promise.race([full, delay(networkBudgetMs).then(() => timedOut)]);
    if (token.isCancellationRequested) return undefined;
    let result: Lineage;
    let loading = false;
    if (first === timedOut) {
      result = await this.controller.gitLineage(document);
      loading = true;
      void full.then((done) => this.showAgainWhenReady(document, position, done));
    } else {
      result = first as Lineage;
    }
    if (!result.ok || cancelled(token)) return undefined;
    const line = result.file.lines[position.line];
    if (!line) return undefined;
    // The approval state is usually cached; it never holds the hover for long.
    const state = await Promise.race([approvals, delay(50).then(() => null)]);
    const signature = line.commit
      ? await Promise.race([this.controller.session.signature(result.repo, line.commit.sha).catch(() => null), delay(150).then(() => null)])
      : null;
    const changedAfterApproval = state?.ok && line.commit && state.unapproved.has(line.commit.sha) ? state.lastApproval : null;
    const text = renderLineHover(result.file, line, {
      policy: { order: this.controller.settings.environmentOrder, production: this.controller.settings.production },
      loading,
      notice: result.notice,
      signInTo: result.signInTo,
      changedAfterApproval,
      signature,
      changeReference: {
        pattern: state?.ok ? state.result.policy.changeReference : defaultPolicy().rules['missing-change-reference'].pattern,
        urlTemplate: this.controller.settings.changeReferenceUrl || null,
      },
      branchReview:
        state?.ok && state.result.pullRequest
          ? {
              pullRequest: state.result.pullRequest.number,
              stale: new Set(state.result.approvals.filter((a) => a.stale).map((a) => a.reviewer)),
            }
          : null,
    });
    return new vscode.Hover(trustedMarkdown(text), document.lineAt(position.line).range);
  }

  private showAgainWhenReady(document: vscode.TextDocument, position: vscode.Position, done: Lineage): void {
    const editor = vscode.window.activeTextEditor;
    if (
      !done.ok ||
      !editor ||
      editor.document !== document ||
      Math.abs(editor.selection.active.line - position.line) + Math.abs(editor.selection.active.character - position.character) > 1
    )
      return;
    void vscode.commands.executeCommand('editor.action.showHover');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Read through a call: the token changes while the hover waits, which narrowing cannot see. */
function cancelled(token: vscode.CancellationToken): boolean {
  return token.isCancellationRequested;
}
