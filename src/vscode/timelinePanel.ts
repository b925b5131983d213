/**
 * The Lineage Timeline panel: a webview beside the editor that follows the active file and its
 * selection, drawn by the page script from the model the session builds. The page gets a strict
 * Content Security Policy with a nonce, reads only the extension's own bundle, and says what the
 * user opened by item key alone: this side looks the key up in its own model and opens the
 * commit's diff, the deployment's evidence or the finding's place. In an untrusted workspace the
 * panel says what it needs and runs nothing.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { evidenceForDeployment, evidenceForLine, evidenceMarkdown, type Evidence } from '../core/evidence/evidenceChain';
import { lineChain } from '../core/evidence/lineChain';
import type { Repository } from '../core/git/repository';
import type { FileLineage } from '../core/lineage/lineLineage';
import type { AuditVerification } from '../core/model/api';
import { chainGraph, chainNode } from '../core/picture/chainGraph';
import type { ApiClient } from '../core/sources/apiClient';
import { pictureCss, vscodePaletteCss } from '../core/picture/pictureStyles';
import { buildTimeline, type TimelineInput, type TimelineItem, type TimelineModel } from '../core/picture/timelineModel';
import { plainText, safeHttpsUrl } from '../core/present/markdown';
import type { LineageController } from './lineageController';
import { showMarkdown } from './markdownDocument';
import { revisionUri } from './revisionContent';

const FromPage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('rendered'), items: z.number() }),
  z.object({ type: z.literal('open'), key: z.string().max(1000) }),
  z.object({ type: z.literal('openChain'), ref: z.string().max(1000) }),
  z.object({ type: z.literal('visible'), from: z.number(), to: z.number() }),
  z.object({ type: z.literal('snapshot'), id: z.number(), snapshot: z.unknown() }),
  z.object({ type: z.literal('pressed'), id: z.number(), found: z.boolean() }),
  z.object({ type: z.literal('trust') }),
]);

/** What the page keeps across a reload (its own state, handed back by VS Code's serializer): the file and line it drew. */
const KeptState = z.object({
  subject: z.object({ file: z.string().min(1).max(4096), line: z.number().int().min(1).max(10_000_000) }),
});

/** The file and lines the panel draws, with its repository as found when the editor moved there. */
interface Subject {
  uri: vscode.Uri;
  path: string;
  repo: Repository;
  slug: string | null;
  lines: { start: number; end: number } | null;
  cursor: number;
}

/** What the panel last did, for its tests and the output channel. */
export interface TimelineActivity {
  opened: { kind: string; key: string }[];
  renders: number;
  lastRenderMs: number | null;
}

export class TimelinePanel implements vscode.Disposable {
  static readonly viewType = 'lineage.timeline';
  private panel: vscode.WebviewPanel | undefined;
  private subject: Subject | null = null;
  private model: TimelineModel | null = null;
  private input: { gathered: TimelineInput; asked: Set<string>; source: string; notices: string[] } | null = null;
  private chainFor: string | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly waiting = new Map<number, (value: unknown) => void>();
  private nextId = 1;
  private followTimer: ReturnType<typeof setTimeout> | undefined;
  private ready: Promise<void> | null = null;
  private markReady: (() => void) | null = null;
  private sentAt = 0;
  readonly activity: TimelineActivity = { opened: [], renders: 0, lastRenderMs: null };

  constructor(
    private readonly controller: LineageController,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (this.panel && editor?.document.uri.scheme === 'file') this.follow(editor, 0);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (this.panel && e.textEditor.document.uri.scheme === 'file') this.follow(e.textEditor, 300);
      }),
      controller.onDidChange(() => {
        if (!this.panel) return;
        this.model = null;
        this.input = null;
        this.chainFor = null;
        this.audit = null;
        void this.update();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        if (!this.panel) return;
        this.panel.webview.options = this.options();
        this.load();
        void this.show();
      }),
    );
  }

  /** The repository holding a file (repositoryOf asks about folders). */
  private repositoryOf(file: vscode.Uri) {
    return this.controller.repositoryOf(vscode.Uri.joinPath(file, '..'));
  }

  get visible(): boolean {
    return Boolean(this.panel?.visible);
  }

  /** Opens (or reveals) the panel on a file and line, the active editor's by default. */
  async show(target?: { uri: vscode.Uri; line: number }): Promise<void> {
    if (!this.panel)
      this.attach(
        vscode.window.createWebviewPanel(
          TimelinePanel.viewType,
          'Lineage Timeline',
          { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
          this.options(),
        ),
      );
    else this.panel.reveal(vscode.ViewColumn.Beside, true);
    if (!this.controller.trusted) return;
    const editor = vscode.window.activeTextEditor;
    const uri = target?.uri ?? editor?.document.uri;
    if (!uri || uri.scheme !== 'file') return;
    const selection = editor && editor.document.uri.toString() === uri.toString() ? editor.selection : undefined;
    await this.setSubject(uri, target?.line ?? (selection ? selection.active.line + 1 : 1), target ? undefined : selection);
  }

  /**
   * A panel VS Code kept across a reload (the serializer hands it over with the page's state):
   * adopted with this session's options and page, and drawn again for the active editor. When no
   * text editor is active (the panel itself has the focus after a reload), it draws the file the
   * page last drew, if that file is still in the workspace, else the first visible file. One
   * panel at a time.
   */
  async restore(panel: vscode.WebviewPanel, state?: unknown): Promise<void> {
    if (this.panel && this.panel !== panel) panel.dispose();
    else if (!this.panel) this.attach(panel);
    if (vscode.window.activeTextEditor?.document.uri.scheme === 'file') return this.show();
    await this.show(this.keptTarget(state) ?? this.visibleTarget());
  }

  private keptTarget(state: unknown): { uri: vscode.Uri; line: number } | undefined {
    const kept = KeptState.safeParse(state);
    if (!kept.success) return undefined;
    const uri = vscode.Uri.file(kept.data.subject.file);
    return vscode.workspace.getWorkspaceFolder(uri) ? { uri, line: kept.data.subject.line } : undefined;
  }

  private visibleTarget(): { uri: vscode.Uri; line: number } | undefined {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'file');
    return editor ? { uri: editor.document.uri, line: editor.selection.active.line + 1 } : undefined;
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'lineage.svg');
    panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m), undefined, this.disposables);
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.subject = null;
      this.model = null;
      this.input = null;
      this.chainFor = null;
    });
    this.load();
  }

  private follow(editor: vscode.TextEditor, delay: number): void {
    clearTimeout(this.followTimer);
    this.followTimer = setTimeout(
      () => void this.setSubject(editor.document.uri, editor.selection.active.line + 1, editor.selection),
      delay,
    );
  }

  private async setSubject(uri: vscode.Uri, cursor: number, selection?: vscode.Selection): Promise<void> {
    if (!this.controller.trusted) return;
    const found = await this.repositoryOf(uri);
    if (!found) return;
    let path: string;
    try {
      path = found.repo.relativePath(uri.fsPath);
    } catch {
      return;
    }
    const lines =
      selection && !selection.isEmpty && selection.start.line !== selection.end.line
        ? { start: selection.start.line + 1, end: selection.end.line + 1 }
        : null;
    const previous = this.subject;
    this.subject = { uri, path, repo: found.repo, slug: found.slug, lines, cursor };
    const sameFile = previous?.path === path && previous.repo.root === found.repo.root;
    const sameLines = sameFile && previous.lines?.start === lines?.start && previous.lines?.end === lines?.end;
    if (!sameLines) this.model = null;
    await this.update();
  }

  /** Builds the model when the subject changed, marks the cursor's commit, and draws the cursor line's chain. */
  private async update(): Promise<void> {
    const subject = this.subject;
    if (!subject || !this.panel) return;
    const document = await vscode.workspace.openTextDocument(subject.uri);
    const lineage = await this.controller.lineage(document);
    const cursorCommit = lineage.ok ? (lineage.file.lines[subject.cursor - 1]?.commit?.sha ?? null) : null;
    const started = performance.now();
    if (!this.model || !this.input) {
      try {
        const answer = await this.controller.session.timeline({
          repo: subject.repo,
          path: subject.path,
          slug: subject.slug,
          policy: { order: this.controller.settings.environmentOrder, production: this.controller.settings.production },
          lines: subject.lines,
          cursorCommit,
        });
        if (this.subject !== subject) return;
        this.model = answer.model;
        this.input = {
          gathered: answer.input,
          asked: new Set(answer.input.lineage.keys()),
          source: answer.source,
          notices: answer.notices,
        };
      } catch (e) {
        this.log.warn(`timeline of ${subject.path}: ${(e as Error).message}`);
        await this.post({
          type: 'model',
          model: emptyModel(subject.path),
          caption: subject.path,
          notices: [plainText((e as Error).message, 300)],
        });
        return;
      }
    } else {
      // The same picture with the cursor's commit marked.
      this.input.gathered = { ...this.input.gathered, cursorCommit };
      this.model = buildTimeline(this.input.gathered);
    }
    const { source, notices } = this.input;
    // Kept here: another subject (the editor followed, the panel restored) may reset the panel's
    // model while this one is posted, and this update then ends where it is.
    const model = this.model;
    const scope = subject.lines ? `lines ${subject.lines.start}–${subject.lines.end} of ` : '';
    this.sentAt = performance.now();
    await this.post({
      type: 'model',
      model,
      caption: `${scope}${subject.path}${subject.slug ? ` · ${subject.slug}` : ''} · ${source === 'git' ? 'git only' : `from ${source === 'service' ? 'the service' : source === 'github' ? 'GitHub' : source}`}`,
      notices: notices.map((n) => plainText(n, 300)),
      keepView: true,
      subject: { file: subject.uri.fsPath, line: subject.cursor },
    });
    this.log.debug(`timeline of ${subject.path}: ${model.items.length} items in ${(performance.now() - started).toFixed(0)} ms`);
    if (this.subject !== subject) return;
    await this.updateChain(subject, lineage.ok ? lineage.file : null, cursorCommit);
  }

  private async updateChain(subject: Subject, file: FileLineage | null, commit: string | null): Promise<void> {
    const key = `${subject.repo.root}\u0000${subject.path}\u0000${subject.cursor}\u0000${commit ?? ''}`;
    if (this.chainFor === key) return;
    this.chainFor = key;
    const title = `Chain of line ${subject.cursor}`;
    if (!file?.repo || !commit) {
      await this.post({
        type: 'chain',
        title,
        message: !commit ? 'This line is not committed yet.' : 'The repository has no origin to name it by.',
      });
      return;
    }
    const client = file.source === 'service' ? await this.controller.session.serviceClient().catch(() => null) : null;
    if (!client) {
      // GitHub or deploy tags: the chain as the line's lineage has it, said to be unaudited.
      const line = file.lines[subject.cursor - 1];
      const signature = await this.controller.session.signature(subject.repo, commit).catch(() => null);
      const evidence = line ? lineChain(file, line, signature) : null;
      if (this.chainFor !== key) return;
      this.evidence = evidence;
      const origin = file.source === 'github' ? 'GitHub' : 'git';
      await this.post(
        evidence
          ? {
              type: 'chain',
              title,
              svg: chainNode(chainGraph(evidence, origin), { titles: false, title: `${title}: commit to production` }),
            }
          : { type: 'chain', title, message: 'This line is not committed yet.' },
      );
      return;
    }
    try {
      const evidence = await evidenceForLine(
        client,
        file.repo,
        file.path,
        subject.cursor,
        commit,
        (file.lines[subject.cursor - 1]?.findings ?? []).map((f) => f.id),
        (sha) => this.controller.session.signature(subject.repo, sha),
        () => this.auditVerdict(client),
      );
      if (this.chainFor !== key) return;
      this.evidence = evidence;
      await this.post({
        type: 'chain',
        title,
        svg: chainNode(chainGraph(evidence), { titles: false, title: `${title}: commit to production` }),
      });
    } catch (e) {
      await this.post({ type: 'chain', title, message: plainText(`The chain could not be gathered: ${(e as Error).message}`, 300) });
    }
  }

  private evidence: Evidence | null = null;
  private audit: { at: number; verdict: Promise<AuditVerification | null> } | null = null;

  /**
   * The audit log's verdict, kept for a minute: the chain follows the cursor, and a full
   * verification on every move would load the service for an answer that has not changed.
   * New data (a refresh) asks again.
   */
  private auditVerdict(client: ApiClient): Promise<AuditVerification | null> {
    if (!this.audit || Date.now() - this.audit.at > 60_000)
      this.audit = { at: Date.now(), verdict: client.verifyAudit().catch(() => null) };
    return this.audit.verdict;
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = FromPage.safeParse(raw);
    if (!parsed.success) return;
    const m = parsed.data;
    switch (m.type) {
      case 'ready':
        this.markReady?.();
        return;
      case 'rendered':
        this.activity.renders++;
        this.activity.lastRenderMs = performance.now() - this.sentAt;
        return;
      case 'snapshot':
      case 'pressed':
        this.waiting.get(m.id)?.(m.type === 'snapshot' ? m.snapshot : m.found);
        this.waiting.delete(m.id);
        return;
      case 'trust':
        await vscode.commands.executeCommand('workbench.trust.manage');
        return;
      case 'visible':
        await this.fetchLineage(m.from, m.to);
        return;
      case 'open': {
        const item = this.model?.items.find((i) => i.key === m.key);
        if (item) await this.open(item);
        return;
      }
      case 'openChain':
        await this.openChain(m.ref);
        return;
    }
  }

  /** Pull requests of the commits in view that were not asked for yet, a hundred at a time. */
  private async fetchLineage(from: number, to: number): Promise<void> {
    const subject = this.subject;
    const input = this.input;
    if (!subject || !input) return;
    const missing = input.gathered.history
      .filter((c) => !input.asked.has(c.sha))
      .filter((c) => {
        const t = Date.parse(c.committedAt);
        return t >= from && t <= to;
      })
      .slice(0, 100)
      .map((c) => c.sha);
    if (missing.length === 0) return;
    for (const sha of missing) input.asked.add(sha);
    try {
      const more = await this.controller.session.commitLineage(subject.repo, subject.slug, missing);
      // A new subject or new data while this was asked: the newer picture stands.
      if (this.subject !== subject || this.input !== input) return;
      input.gathered = { ...input.gathered, lineage: new Map([...input.gathered.lineage, ...more]) };
      this.model = buildTimeline(input.gathered);
      await this.post({ type: 'model', model: this.model, keepView: true });
    } catch (e) {
      this.log.debug(`timeline: pull requests of ${missing.length} commits: ${(e as Error).message}`);
    }
  }

  private async open(item: TimelineItem): Promise<void> {
    this.activity.opened.push({ kind: item.target.kind, key: item.key });
    const subject = this.subject;
    if (!subject) return;
    const t = item.target;
    switch (t.kind) {
      case 'commit': {
        const left = revisionUri(subject.repo.root, t.parent, t.previousPath ?? t.path);
        const right = revisionUri(subject.repo.root, t.sha, t.path);
        await vscode.commands.executeCommand(
          'vscode.diff',
          left,
          right,
          `${posix.basename(t.path)} (${t.sha.slice(0, 7)}) ${plainText(item.label, 60)}`,
          {
            viewColumn: vscode.ViewColumn.One,
          },
        );
        return;
      }
      case 'deployment':
        await this.openDeployment(subject, t.environment, t.id);
        return;
      case 'finding':
        if (t.path && t.line)
          await vscode.commands.executeCommand('lineage.revealFinding', {
            id: t.id,
            file: vscode.Uri.joinPath(vscode.Uri.file(subject.repo.root), t.path).fsPath,
            line: t.line,
          });
        else await vscode.commands.executeCommand('lineage.openFinding', { id: t.id });
        return;
      case 'url': {
        const safe = safeHttpsUrl(t.url);
        if (safe) await vscode.env.openExternal(vscode.Uri.parse(safe));
        return;
      }
    }
  }

  /** A deployment's evidence from the service, else what the source in use says of it. */
  private async openDeployment(subject: Subject, environment: string, id: string): Promise<void> {
    const client = await this.controller.session.serviceClient().catch(() => null);
    if (client && subject.slug) {
      try {
        await showMarkdown(evidenceMarkdown(await evidenceForDeployment(client, subject.slug, id)));
        return;
      } catch (e) {
        this.log.warn(`evidence of deployment ${id}: ${(e as Error).message}`);
      }
    }
    await vscode.commands.executeCommand('lineage.openDeployment', { environment, deploymentId: id });
  }

  private async openChain(ref: string): Promise<void> {
    const item = this.evidence?.items.find((i) => `${i.kind}:${i.id}` === ref);
    const subject = this.subject;
    if (!item || !subject) return;
    this.activity.opened.push({ kind: `chain-${item.kind}`, key: ref });
    if (item.kind === 'deployment' && subject.slug) {
      const client = await this.controller.session.serviceClient();
      if (client) await showMarkdown(evidenceMarkdown(await evidenceForDeployment(client, subject.slug, item.id)));
      return;
    }
    // The chain names a deployment by id, the timeline by environment and id.
    const same = this.model?.items.find((i) => i.key === ref || (i.kind === item.kind && i.id === item.id));
    if (same) await this.open(same);
  }

  private async post(message: Record<string, unknown>): Promise<void> {
    if (!this.panel) return;
    await this.ready;
    await this.panel.webview.postMessage(message);
  }

  /** What the page's DOM holds now (lanes, items, joins, colours): the tests read the panel through it. */
  async snapshot(): Promise<unknown> {
    return this.ask((id) => ({ type: 'snapshot', id }));
  }

  /** A click on the element of this key, dispatched in the page as a user's click is. */
  async press(key: string): Promise<boolean> {
    return (await this.ask((id) => ({ type: 'press', id, key }))) as boolean;
  }

  /** A key pressed on the item of this key (or on the focused one), dispatched in the page as a keyboard's is. */
  async key(press: string, key?: string): Promise<boolean> {
    return (await this.ask((id) => ({ type: 'key', id, key, press }))) as boolean;
  }

  private ask(message: (id: number) => Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the timeline page did not answer')), 10_000);
      this.waiting.set(id, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
      void this.post(message(id));
    });
  }

  /** Scripts only in a trusted workspace; resources only from the extension's bundle and media. */
  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: this.controller.trusted,
      enableCommandUris: ['workbench.trust.manage'],
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
  }

  /** Which page the panel shows: the timeline, or what it needs in an untrusted workspace. */
  get showing(): 'timeline' | 'untrusted' | null {
    return this.panel ? this.shown : null;
  }
  private shown: 'timeline' | 'untrusted' = 'timeline';

  /** A new page: messages wait until its script says it is ready. */
  private load(): void {
    if (!this.panel) return;
    this.shown = this.controller.trusted ? 'timeline' : 'untrusted';
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.panel.webview.html = this.page();
  }

  private page(): string {
    const webview = this.panel!.webview;
    const nonce = randomBytes(16).toString('base64');
    const csp = [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Lineage Timeline</title>
<style nonce="${nonce}">${vscodePaletteCss}${pictureCss}${panelCss}</style>
</head>`;
    if (!this.controller.trusted)
      return `${head}
<body>
<main class="untrusted">
<h1>Lineage Timeline needs a trusted workspace</h1>
<p>The timeline reads the file's history with git and asks your lineage source about deployments, pull requests and findings. Code Lineage runs no git process and makes no network call until you trust this workspace.</p>
<p><a href="command:workbench.trust.manage">Manage Workspace Trust</a></p>
</main>
</body>
</html>`;
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'timeline.js'));
    return `${head}
<body>
<header>
<span id="caption" class="caption"></span>
<span class="tools" role="toolbar" aria-label="Timeline view">
<button id="earlier" title="Earlier (Page Up)" aria-label="Earlier">◀</button>
<button id="zoom-out" title="Zoom out (-)" aria-label="Zoom out">−</button>
<button id="fit" title="Whole history (0)" aria-label="Whole history">Fit</button>
<button id="zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>
<button id="later" title="Later (Page Down)" aria-label="Later">▶</button>
</span>
</header>
<p id="notices" class="notices" role="note" hidden></p>
<main id="timeline" aria-label="Lineage timeline: arrow keys move between items and lanes, Enter opens, + and - zoom"></main>
<p class="legend" aria-hidden="true">● commit · ▬ pull request · ✓ approval (red: stale) · ■ deployment · ◀ rollback · ◆ hotfix · ▲ finding · rounded: several, Enter zooms in</p>
<section id="chain" aria-label="Chain of the line"></section>
<div id="tooltip" role="tooltip" hidden></div>
<div id="live" class="sr-only" aria-live="polite"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    clearTimeout(this.followTimer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function emptyModel(path: string): TimelineModel {
  return { path, repo: null, lanes: [], items: [], joins: [], from: Date.now(), to: Date.now(), notes: [] };
}

const panelCss = `
body { padding: 0 12px 12px; color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); }
header { display: flex; justify-content: space-between; align-items: center; gap: 8px; padding: 8px 0; position: sticky; top: 0; background: var(--vscode-editor-background); }
.caption { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
button { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 2px 8px; cursor: pointer; }
button:hover { background: var(--vscode-button-secondaryHoverBackground); }
button:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
#timeline { width: 100%; overflow: hidden; touch-action: none; user-select: none; }
.notices { color: var(--vscode-editorWarning-foreground); }
.legend { color: var(--vscode-descriptionForeground); font-size: 11px; }
#chain h2 { font-size: 13px; }
#chain { overflow-x: auto; }
#tooltip { position: fixed; z-index: 10; max-width: 320px; white-space: pre-line; padding: 6px 8px; color: var(--vscode-editorHoverWidget-foreground); background: var(--vscode-editorHoverWidget-background); border: 1px solid var(--vscode-editorHoverWidget-border); pointer-events: none; font-size: 12px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.untrusted { max-width: 560px; }
`;
