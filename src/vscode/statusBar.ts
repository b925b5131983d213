/** The status bar item: the current line's furthest environment; a click shows its lineage. */
import * as vscode from 'vscode';
import { furthestEnvironment } from '../core/present/environments';
import { plainText } from '../core/present/markdown';
import type { LineageController } from './lineageController';

export class LineageStatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('lineage.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly controller: LineageController) {
    this.item.name = 'Code Lineage';
    this.item.command = 'lineage.showLineLineage';
    this.disposables.push(
      controller.onDidChange(() => this.schedule()),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule()),
      vscode.window.onDidChangeTextEditorSelection(() => this.schedule(100)),
    );
    this.schedule();
  }

  private schedule(ms = 50): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), ms);
  }

  async update(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      this.item.hide();
      return;
    }
    if (!this.controller.trusted) {
      this.item.text = '$(shield) Lineage: untrusted';
      this.item.tooltip = 'Code Lineage is off until this workspace is trusted';
      this.item.command = 'workbench.trust.manage';
      this.item.show();
      return;
    }
    this.item.command = 'lineage.showLineLineage';
    const result = await this.controller.lineage(editor.document);
    const line = result.ok ? result.file.lines[editor.selection.active.line] : undefined;
    if (!result.ok || !line) {
      this.item.hide();
      return;
    }
    const furthest = furthestEnvironment(line, {
      order: this.controller.settings.environmentOrder,
      production: this.controller.settings.production,
    });
    const source = { service: 'service', github: 'GitHub', gitlab: 'GitLab', git: 'deploy tags', none: 'git only' }[result.file.source];
    this.item.text = !line.commit
      ? '$(edit) not committed'
      : furthest
        ? `$(rocket) ${plainText(furthest, 40)}`
        : line.environments.length
          ? '$(circle-outline) not deployed'
          : '$(git-commit) git only';
    const said = [result.notice, result.file.findingsUnknown].filter((n): n is string => !!n).map((n) => plainText(n, 300));
    this.item.tooltip = `Code Lineage (${source})${said.length ? `: ${said.join('; ')}` : ''}. Click for the line's lineage.`;
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of [...this.disposables, this.item]) d.dispose();
  }
}
