/**
 * Runtime findings on open files as Problems (source "Code Lineage"), with related information
 * for the finding's other locations and code actions to show the lineage or open the finding.
 */
import * as vscode from 'vscode';
import type { LineFinding } from '../core/lineage/lineLineage';
import { plainText } from '../core/present/markdown';
import type { LineageController } from './lineageController';

const severities: Record<string, vscode.DiagnosticSeverity> = {
  critical: vscode.DiagnosticSeverity.Error,
  high: vscode.DiagnosticSeverity.Error,
  medium: vscode.DiagnosticSeverity.Warning,
  low: vscode.DiagnosticSeverity.Information,
  info: vscode.DiagnosticSeverity.Hint,
};

export const diagnosticSource = 'Code Lineage';

export class FindingDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('lineage');
  private readonly disposables: vscode.Disposable[] = [];
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly controller: LineageController) {
    this.disposables.push(
      controller.onDidChange(() => this.updateAll()),
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d)),
      vscode.workspace.onDidSaveTextDocument((d) => this.schedule(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, 800)),
      vscode.workspace.onDidCloseTextDocument((d) => this.collection.delete(d.uri)),
    );
    this.updateAll();
  }

  updateAll(): void {
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc);
  }

  private schedule(document: vscode.TextDocument, ms = 100): void {
    if (document.uri.scheme !== 'file') return;
    const key = document.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        void this.update(document);
      }, ms),
    );
  }

  async update(document: vscode.TextDocument): Promise<void> {
    if (!this.controller.settings.diagnostics || !this.controller.trusted) {
      this.collection.delete(document.uri);
      return;
    }
    const result = await this.controller.lineage(document);
    if (!result.ok || document.isClosed) {
      this.collection.delete(document.uri);
      return;
    }
    const diagnostics: vscode.Diagnostic[] = [];
    for (const line of result.file.lines) {
      if (line.line - 1 >= document.lineCount) continue;
      for (const f of line.findings) diagnostics.push(toDiagnostic(f, document.lineAt(line.line - 1).range, result.repo.root));
    }
    this.collection.set(document.uri, diagnostics);
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    for (const d of [...this.disposables, this.collection]) d.dispose();
  }
}

function toDiagnostic(f: LineFinding, range: vscode.Range, root: string): vscode.Diagnostic {
  const where = f.environment ? ` [${plainText(f.environment)}]` : '';
  const d = new vscode.Diagnostic(range, `${plainText(f.title, 300)}${where}`, severities[f.severity] ?? vscode.DiagnosticSeverity.Warning);
  d.source = diagnosticSource;
  d.code = f.url && /^https:\/\//.test(f.url) ? { value: plainText(f.id), target: vscode.Uri.parse(f.url) } : plainText(f.id);
  d.relatedInformation = f.otherLocations
    .filter((o) => !o.path.includes('..') && !o.path.startsWith('/'))
    .map((o) => {
      const line = Math.max(0, (o.line ?? 1) - 1);
      return new vscode.DiagnosticRelatedInformation(
        new vscode.Location(vscode.Uri.joinPath(vscode.Uri.file(root), o.path), new vscode.Position(line, 0)),
        'also reported here',
      );
    });
  return d;
}

/** Quick fixes on a finding: show the line's lineage, open the finding. */
export class FindingCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === diagnosticSource);
    return ours.flatMap((d) => {
      const id = typeof d.code === 'object' ? String(d.code.value) : String(d.code);
      const show = new vscode.CodeAction('Show the lineage of this line', vscode.CodeActionKind.QuickFix);
      show.command = {
        command: 'lineage.showLineLineage',
        title: 'Show lineage',
        arguments: [{ path: document.uri.fsPath, line: range.start.line + 1 }],
      };
      show.diagnostics = [d];
      const open = new vscode.CodeAction(`Open finding ${id}`, vscode.CodeActionKind.QuickFix);
      open.command = { command: 'lineage.openFinding', title: 'Open finding', arguments: [{ id }] };
      open.diagnostics = [d];
      return [show, open];
    });
  }
}
