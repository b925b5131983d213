/**
 * Gutter markers (per line: live in production, live only in earlier environments, not deployed
 * anywhere, changed locally) and the annotation after the current line (author, age, and the
 * environments the line is live in).
 */
import * as vscode from 'vscode';
import { relativeAge } from '../core/present/age';
import { plainText } from '../core/present/markdown';
import { gutterState, liveEnvironments, type GutterState } from '../core/present/environments';
import type { LineageController } from './lineageController';

/** A gutter mark per state a line can be shown in ('unknown' shows none). */
type GutterMark = Exclude<GutterState, 'unknown'>;

export class LineageDecorations implements vscode.Disposable {
  private readonly gutter: Record<GutterMark, vscode.TextEditorDecorationType>;
  private readonly annotation = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 3em', fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedOpen,
  });
  /** Lines whose commit came after the branch's last approval. */
  private readonly unapproved = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    borderStyle: 'solid',
    borderWidth: '0 0 0 2px',
    borderColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly disposables: vscode.Disposable[] = [];
  private annotationsOn: boolean;
  private timer: NodeJS.Timeout | undefined;
  /** What the last render drew, per editor: tests and the status bar read it. */
  readonly lastGutter = new Map<string, Record<string, number[]>>();

  constructor(
    private readonly controller: LineageController,
    media: vscode.Uri,
  ) {
    const make = (state: string) =>
      vscode.window.createTextEditorDecorationType({
        gutterIconPath: vscode.Uri.joinPath(media, `gutter-${state}.svg`),
        gutterIconSize: 'contain',
      });
    this.gutter = { production: make('production'), earlier: make('earlier'), notDeployed: make('notDeployed'), local: make('local') };
    this.annotationsOn = controller.settings.currentLineAnnotation;
    this.disposables.push(
      controller.onDidChange(() => this.schedule()),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule()),
      vscode.window.onDidChangeTextEditorSelection((e) => this.renderAnnotation(e.textEditor)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document) this.schedule(400);
      }),
    );
    this.schedule();
  }

  toggleAnnotations(): boolean {
    this.annotationsOn = !this.annotationsOn;
    this.schedule();
    return this.annotationsOn;
  }

  /** Coalesces bursts (typing, several events at once) into one render. */
  schedule(ms = 50): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.render(), ms);
  }

  private async render(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    await this.renderGutter(editor);
    await this.renderAnnotation(editor);
  }

  private async renderGutter(editor: vscode.TextEditor): Promise<void> {
    const key = editor.document.uri.toString();
    const byState: Record<string, vscode.Range[]> = { production: [], earlier: [], notDeployed: [], local: [], unapproved: [] };
    const result = this.controller.settings.gutter ? await this.controller.lineage(editor.document) : null;
    if (result?.ok) {
      const policy = this.policy();
      const approvals = await this.controller.approvalState(editor.document);
      for (const line of result.file.lines) {
        if (line.line - 1 >= editor.document.lineCount) continue;
        const range = new vscode.Range(line.line - 1, 0, line.line - 1, 0);
        const state = gutterState(line, policy);
        if (state !== 'unknown') byState[state]!.push(range);
        if (approvals.ok && line.commit && approvals.unapproved.has(line.commit.sha)) byState.unapproved!.push(range);
      }
    }
    if (editor !== vscode.window.activeTextEditor && !vscode.window.visibleTextEditors.includes(editor)) return;
    for (const [state, type] of Object.entries(this.gutter)) editor.setDecorations(type, byState[state]!);
    editor.setDecorations(this.unapproved, byState.unapproved!);
    this.lastGutter.set(key, Object.fromEntries(Object.entries(byState).map(([s, ranges]) => [s, ranges.map((r) => r.start.line + 1)])));
  }

  private async renderAnnotation(editor: vscode.TextEditor): Promise<void> {
    if (!this.annotationsOn || !this.controller.trusted) {
      editor.setDecorations(this.annotation, []);
      return;
    }
    const lineIndex = editor.selection.active.line;
    const result = await this.controller.lineage(editor.document);
    if (editor.selection.active.line !== lineIndex) return;
    const line = result.ok ? result.file.lines[lineIndex] : undefined;
    if (!line) {
      editor.setDecorations(this.annotation, []);
      return;
    }
    const text = annotationText(line, this.policy());
    const end = editor.document.lineAt(lineIndex).range.end;
    editor.setDecorations(this.annotation, [{ range: new vscode.Range(end, end), renderOptions: { after: { contentText: text } } }]);
  }

  private policy() {
    return { order: this.controller.settings.environmentOrder, production: this.controller.settings.production };
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of [...this.disposables, this.annotation, this.unapproved, ...Object.values(this.gutter)]) d.dispose();
  }
}

/** "Dev One, 3d ago · ● production · staging" (decoration text is never interpreted as markup). */
export function annotationText(
  line: import('../core/lineage/lineLineage').LineLineage,
  policy: { order: string[]; production: string },
): string {
  if (!line.commit) return 'You · not committed';
  const live = liveEnvironments(line, policy);
  const where =
    live.length > 0
      ? ` · ● ${live
          .reverse()
          .map((e) => plainText(e, 30))
          .join(' · ')}`
      : line.environments.length > 0
        ? ' · not deployed'
        : '';
  return `${plainText(line.commit.author, 40)}, ${relativeAge(line.commit.time)} ago · ${plainText(line.commit.summary, 60)}${where}`;
}
