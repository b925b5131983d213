/**
 * "Code Lineage: Trace Finding…" (from an argument, the selection, the clipboard or an input box),
 * the `vscode://code-lineage.code-lineage/trace?finding=…` URI handler (after the user confirms),
 * and links on stack-trace lines printed in the integrated terminal. All resolve through the same
 * core as `lineage trace`, and open only files of the workspace's repository.
 */
import * as vscode from 'vscode';
import { z } from 'zod';
import { plainText } from '../core/present/markdown';
import { parseStackTrace } from '../core/trace/stackFrames';
import { traceFinding, type TraceCandidate } from '../core/trace/traceFinding';
import type { LineageController } from './lineageController';

const CodeMappings = z.array(z.object({ stackRoot: z.string().min(1), sourceRoot: z.string() })).catch([]);
const maxInput = 16 * 1024 * 1024;

export class TraceCommands implements vscode.Disposable {
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
  });

  constructor(private readonly controller: LineageController) {}

  dispose(): void {
    this.highlight.dispose();
  }

  /** Resolves `text` and opens the best candidate (or offers a pick); returns what was opened. */
  async trace(text?: string): Promise<{ path: string; line: number } | undefined> {
    if (!this.controller.trusted) {
      void vscode.window.showWarningMessage('Code Lineage traces findings only in a trusted workspace.');
      return undefined;
    }
    const input = text ?? (await this.askForInput());
    if (!input?.trim()) return undefined;
    if (input.length > maxInput) {
      void vscode.window.showErrorMessage('Code Lineage: the pasted finding is over 16 MB.');
      return undefined;
    }
    const doc = vscode.window.activeTextEditor?.document;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const found = (doc ? await this.controller.repository(doc) : null) ?? (folder ? await this.controller.repositoryOf(folder) : null);
    if (!found) {
      void vscode.window.showErrorMessage('Code Lineage: open a folder of a git repository to trace a finding into.');
      return undefined;
    }
    // The same source as the hover (service, GitHub or deploy tags) says what runs where.
    const source = (await this.controller.chosenSource(found.repo)).source;
    const codeMappings = CodeMappings.parse(vscode.workspace.getConfiguration('lineage').get('codeMappings'));
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Code Lineage: tracing the finding…' },
      () => traceFinding({ repo: found.repo, text: input, source, slug: found.slug, codeMappings }),
    );
    this.controller.log.info(
      `trace: ${result.input.kind}, revision ${result.revision.sha ?? 'working copy'} (${result.revision.how}); ${result.candidates.length} candidate(s); tried: ${result.tried.join('; ')}`,
    );
    const usable = result.candidates.filter((c) => c.line !== null);
    if (usable.length === 0) {
      const why = result.candidates[0]?.reason ?? result.tried[result.tried.length - 1] ?? 'nothing recognisable';
      void vscode.window.showWarningMessage(`Code Lineage: no location found (${plainText(why, 200)}).`);
      return undefined;
    }
    let pick: TraceCandidate | undefined = usable[0];
    if (usable.length > 1 && usable[0]!.confidence - usable[1]!.confidence < 0.15) {
      const chosen = await vscode.window.showQuickPick(
        usable.map((c) => ({
          label: plainText(`${c.path}:${c.line}${c.changed ? ` (changed: ${c.changed.how})` : ''}`, 300),
          description: `${Math.round(c.confidence * 100)}%`,
          detail: plainText(c.reason, 300),
          candidate: c,
        })),
        { title: `Code Lineage: ${plainText(result.input.messages[0] ?? 'where did it happen?', 120)}`, matchOnDetail: true },
      );
      pick = chosen?.candidate;
    }
    if (!pick) return undefined;
    await this.open(found.repo.root, pick.path, pick.line!);
    if (result.artifact) {
      const a = result.artifact;
      const places = a.runsIn.filter((p) => p.live).map((p) => [p.environment, p.physicalEnvironment, p.cluster].filter(Boolean).join('/'));
      vscode.window.setStatusBarMessage(
        plainText(
          `Code Lineage: artifact ${a.digest.slice(0, 19)}… ${a.commit ? `built from ${a.commit.slice(0, 12)}` : 'of an unknown commit'}${places.length ? `, runs in ${places.join(', ')}` : ''}`,
          200,
        ),
        15_000,
      );
    }
    return { path: pick.path, line: pick.line! };
  }

  private async askForInput(): Promise<string | undefined> {
    const editor = vscode.window.activeTextEditor;
    const selection = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
    if (selection.trim()) return selection;
    const clipboard = await vscode.env.clipboard.readText();
    if (clipboard.trim() && (parseStackTrace(clipboard.slice(0, 1_000_000)).frames.length > 0 || /^\s*[[{]/.test(clipboard))) {
      const use = await vscode.window.showQuickPick(['Trace the clipboard', 'Paste something else'], {
        title: `Code Lineage: the clipboard holds ${plainText(clipboard, 80)}`,
      });
      if (use === 'Trace the clipboard') return clipboard;
      if (use === undefined) return undefined;
    }
    return vscode.window.showInputBox({ title: 'Code Lineage: paste a stack trace, alert JSON or finding id', ignoreFocusOut: true });
  }

  /** Opens a repository file at a line, highlights it, and shows the line's lineage beside it. */
  private async open(root: string, path: string, line: number): Promise<void> {
    const uri = vscode.Uri.joinPath(vscode.Uri.file(root), path);
    const editor = await vscode.window.showTextDocument(uri, { preview: false });
    const range = new vscode.Range(line - 1, 0, line - 1, 0);
    editor.selection = new vscode.Selection(range.start, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    editor.setDecorations(this.highlight, [range]);
    setTimeout(() => editor.setDecorations(this.highlight, []), 4000);
    await vscode.commands.executeCommand('lineage.showLineLineage', { path: uri.fsPath, line });
  }

  /** `vscode://code-lineage.code-lineage/trace?finding=<text>`: asks before acting on a link from outside. */
  uriHandler(): vscode.UriHandler {
    return {
      handleUri: async (uri) => {
        if (uri.path !== '/trace') return;
        const finding = new URLSearchParams(uri.query).get('finding');
        if (!finding) return;
        const answer = await vscode.window.showInformationMessage(
          `A link asks Code Lineage to trace this finding into your working copy:\n\n${plainText(finding, 300)}`,
          { modal: true },
          'Trace',
        );
        if (answer === 'Trace') await this.trace(finding);
      },
    };
  }

  /** Stack-trace frames in the terminal become links that trace that line. */
  terminalLinks(): vscode.TerminalLinkProvider<FrameLink> {
    return {
      provideTerminalLinks: (context) => {
        if (!this.controller.trusted || context.line.length > 4000) return [];
        const frames = parseStackTrace(context.line).frames;
        return frames.slice(0, 5).flatMap((f) => {
          const at = context.line.indexOf(f.file);
          return at >= 0 ? [new FrameLink(at, f.file.length + (f.line ? String(f.line).length + 1 : 0), context.line)] : [];
        });
      },
      handleTerminalLink: async (link) => {
        await this.trace(link.text);
      },
    };
  }
}

/** A frame in a terminal line, carrying the whole line to trace. */
class FrameLink extends vscode.TerminalLink {
  constructor(
    startIndex: number,
    length: number,
    readonly text: string,
  ) {
    super(startIndex, length, 'Code Lineage: trace to the working copy');
  }
}
