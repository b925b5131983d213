/**
 * The extension's composition root. Activation only registers providers, views and commands;
 * nothing touches git or the network until the workspace is trusted and an editor asks.
 */
import * as vscode from 'vscode';
import { GitRunner } from '../core/git/gitRunner';
import { LineageCodeLensProvider } from './codeLens';
import { registerCommands } from './commands';
import { LineageDecorations } from './decorations';
import { FindingCodeActions, FindingDiagnostics } from './diagnostics';
import { LineageHoverProvider } from './hoverProvider';
import { LineageController } from './lineageController';
import { LineageStatusBar } from './statusBar';
import { RevisionContent, revisionScheme } from './revisionContent';
import { TimelinePanel } from './timelinePanel';
import { TraceCommands } from './traceCommands';
import { ApprovalsTree, EnvironmentsTree, FindingsTree, LineLineageTree } from './views';

/** What the extension exposes to other extensions (and to its own extension-host tests). */
export interface LineageApi {
  controller: LineageController;
  decorations: LineageDecorations;
  views: { environments: EnvironmentsTree; findings: FindingsTree; line: LineLineageTree; approvals: ApprovalsTree };
  statusBar: LineageStatusBar;
  diagnostics: FindingDiagnostics;
  timeline: TimelinePanel;
  /** Git processes this extension host has started: zero while the workspace is untrusted. */
  gitProcessesStarted(): number;
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): LineageApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Code Lineage', { log: true });
  const controller = new LineageController(context.secrets, log);
  const decorations = new LineageDecorations(controller, vscode.Uri.joinPath(context.extensionUri, 'media'));
  const environments = new EnvironmentsTree(controller);
  const findings = new FindingsTree(controller);
  const lineView = new LineLineageTree(controller);
  const approvals = new ApprovalsTree(controller);
  const statusBar = new LineageStatusBar(controller);
  const diagnostics = new FindingDiagnostics(controller);
  const files: vscode.DocumentSelector = { scheme: 'file' };
  const tracer = new TraceCommands(controller);
  const timeline = new TimelinePanel(controller, context.extensionUri, log);

  context.subscriptions.push(
    log,
    controller,
    decorations,
    statusBar,
    diagnostics,
    vscode.languages.registerHoverProvider(files, new LineageHoverProvider(controller)),
    vscode.languages.registerCodeLensProvider(files, new LineageCodeLensProvider(controller)),
    vscode.languages.registerCodeActionsProvider(files, new FindingCodeActions(), { providedCodeActionKinds: FindingCodeActions.kinds }),
    vscode.window.registerTreeDataProvider('lineage.environments', environments),
    vscode.window.registerTreeDataProvider('lineage.findings', findings),
    vscode.window.registerTreeDataProvider('lineage.lineLineage', lineView),
    vscode.window.registerTreeDataProvider('lineage.approvals', approvals),
    controller.onDidChange(() => {
      approvals.refresh();
      environments.refresh();
      findings.refresh();
      lineView.refresh();
    }),
    vscode.window.onDidChangeActiveTextEditor(() => {
      environments.refresh();
      findings.refresh();
      lineView.refresh();
    }),
    vscode.window.onDidChangeTextEditorSelection(() => lineView.refresh()),
    tracer,
    timeline,
    vscode.workspace.registerTextDocumentContentProvider(revisionScheme, new RevisionContent(controller)),
    // A timeline left open is restored with the window (its page is drawn again, not revived).
    vscode.window.registerWebviewPanelSerializer(TimelinePanel.viewType, {
      deserializeWebviewPanel: (panel, state) => timeline.restore(panel, state),
    }),
    vscode.commands.registerCommand('lineage.traceFinding', (text?: unknown) => tracer.trace(typeof text === 'string' ? text : undefined)),
    vscode.window.registerUriHandler(tracer.uriHandler()),
    vscode.window.registerTerminalLinkProvider(tracer.terminalLinks()),
    ...registerCommands({ context, controller, decorations, environments, findings, lineView, timeline }),
  );
  const activationMs = performance.now() - started;
  log.info(
    `activated in ${activationMs.toFixed(1)} ms; workspace ${vscode.workspace.isTrusted ? 'trusted' : 'not trusted: no git, no network'}`,
  );
  return {
    controller,
    decorations,
    views: { environments, findings, line: lineView, approvals },
    statusBar,
    diagnostics,
    timeline,
    gitProcessesStarted: () => GitRunner.processesStarted,
    activationMs,
  };
}

export function deactivate(): void {
  // Everything registered is disposed through context.subscriptions.
}
