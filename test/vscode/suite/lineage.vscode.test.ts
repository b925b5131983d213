/**
 * The extension in a real VS Code: hover, gutter, CodeLens, Problems, views, commands and the
 * untrusted mode, checked through the VS Code API against a real repository and service.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { LineageApi } from '../../../src/vscode/extension';
import type { FixtureInfo } from '../fixture';
import { api, hoverText, screenshot, until } from './host';

const fixture: FixtureInfo = JSON.parse(process.env.LINEAGE_VSCODE_FIXTURE ?? '{}');
const mode = process.env.LINEAGE_VSCODE_MODE ?? 'trusted';

async function openFixtureFile(): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(fixture.file));
  return vscode.window.showTextDocument(doc);
}

if (mode === 'trusted') {
  describe('Code Lineage in VS Code (trusted workspace)', function () {
    this.timeout(60_000);
    let lineage: LineageApi;
    let editor: vscode.TextEditor;

    before(async () => {
      lineage = await api();
      editor = await openFixtureFile();
      // Warm the file's lineage so hovers answer with the service's part.
      const result = await lineage.controller.lineage(editor.document);
      assert.ok(result.ok, `lineage computed: ${result.ok ? '' : result.reason}`);
    });

    it('activates quickly and only registers', () => {
      // Activation only registers (about 5 ms here); the bound catches eager work (starting git,
      // reading files, which costs hundreds of ms), not a busy machine's jitter.
      assert.ok(lineage.activationMs < 200, `activation took ${lineage.activationMs} ms`);
      console.log(`    activation: ${lineage.activationMs.toFixed(1)} ms`);
    });

    it('hovers a line with where it runs, its pull request, stale approvals and findings', async () => {
      const { text } = await hoverText(editor.document.uri, 3);
      assert.match(text, /staging\*\*: live since \[dep\\-stg\\-1\]/);
      assert.match(text, /production: pending/);
      assert.match(text, /alice: approved on `[0-9a-f]{7}` ⚠ \*\*stale\*\*/);
      assert.match(text, /carol: approved on `[0-9a-f]{7}`\n/);
      assert.match(text, /\[\\#7 Harden &lt;script&gt;/);
      assert.match(text, /high: \[TypeError/);
      const line1 = (await hoverText(editor.document.uri, 1)).text;
      assert.match(line1, /\*\*production\*\*: live since \[dep\\-prod\\-1\].*release\\-bot/);
      editor.selection = new vscode.Selection(2, 4, 2, 4);
      await vscode.commands.executeCommand('editor.action.showHover');
      await screenshot('hover');
    });

    it('keeps a hostile commit message and API strings as text in the hover', async () => {
      const { text, strings } = await hoverText(editor.document.uri, 3);
      assert.doesNotMatch(text, /<img|<script/i, 'no raw HTML');
      assert.doesNotMatch(text, /\]\(command:workbench\.action\.terminal\.new/, 'no outside command link');
      assert.match(text, /&lt;img src=x onerror=alert\\\(1\\\)&gt;/);
      for (const s of strings) {
        assert.equal(s.supportHtml, false);
        const trusted = s.isTrusted;
        assert.ok(
          typeof trusted === 'object' && trusted.enabledCommands.every((c) => c.startsWith('lineage.') || c === 'workbench.trust.manage'),
          'only our commands are trusted',
        );
      }
    });

    it('shows the finding in Problems, with its other location and code actions', async () => {
      const diagnostics = await until('diagnostics', () => {
        const d = vscode.languages.getDiagnostics(editor.document.uri).filter((x) => x.source === 'Code Lineage');
        return d.length > 0 ? d : undefined;
      });
      const first = diagnostics.find((d) => d.range.start.line === 2);
      assert.ok(first, `a diagnostic on line 3 (got lines ${diagnostics.map((d) => d.range.start.line + 1).join(', ')})`);
      assert.equal(first.severity, vscode.DiagnosticSeverity.Error);
      assert.match(first.message, /TypeError: Cannot read properties of undefined/);
      assert.ok(first.relatedInformation?.some((r) => r.location.range.start.line === 5));
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        editor.document.uri,
        first.range,
      );
      const titles = actions.map((a) => a.title);
      assert.ok(titles.includes('Show the lineage of this line'), titles.join(', '));
      assert.ok(titles.includes('Open finding err-1'), titles.join(', '));
    });

    it('puts per-environment CodeLens at the top of the file', async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
      const titles = lenses.map((l) => l.command?.title ?? '');
      assert.ok(
        titles.some((t) => /^staging @ [0-9a-f]{7}: same as here$/.test(t)),
        titles.join(' | '),
      );
      assert.ok(
        titles.some((t) => /^production @ [0-9a-f]{7}: 2 lines differ$/.test(t)),
        titles.join(' | '),
      );
      assert.ok(titles.includes('1 open finding'), titles.join(' | '));
    });

    it('marks the gutter: production, earlier environments only', async () => {
      const gutter = await until('gutter', () => lineage.decorations.lastGutter.get(editor.document.uri.toString()));
      assert.deepEqual(gutter.production, [1, 2, 4, 5]);
      assert.deepEqual(gutter.earlier, [3, 6]);
      assert.deepEqual(gutter.local, []);
      await vscode.commands.executeCommand('lineage.environments.focus');
      await screenshot('gutter-and-views');
    });

    it('lists environments in promotion order with the commits waiting between them', async () => {
      const roots = await lineage.views.environments.roots();
      assert.deepEqual(
        roots.map((r) => r.label),
        ['staging', 'production'],
      );
      const waiting = await roots[1]!.children!();
      assert.ok(
        waiting.some((n) => n.label === 'Merge pull request #7 from acme/feature'),
        waiting.map((n) => n.label).join(', '),
      );
      const findings = await lineage.views.findings.roots();
      assert.equal(findings[0]!.label, 'high');
      const files = await findings[0]!.children!();
      assert.equal(files[0]!.label, 'src/app.js');
    });

    it('shows the current line in the Line Lineage view and the status bar', async () => {
      editor.selection = new vscode.Selection(0, 0, 0, 0);
      await lineage.statusBar.update();
      assert.equal(lineage.statusBar.item.text, '$(rocket) production');
      assert.match(
        await vscode.commands.executeCommand<string>('lineage.showServiceStatus'),
        /^Code Lineage service \S+: \d+ events \(embedded store\)\.$/,
      );
      const nodes = await lineage.views.line.roots();
      assert.equal(nodes[0]!.label, 'Initial service');
      assert.ok(nodes.some((n) => n.label === 'production' && /^live since dep-prod-1/.test(n.description ?? '')));
    });

    it('offers a walkthrough whose every step links commands that exist, and opens it', async () => {
      const extension = vscode.extensions.getExtension('code-lineage.code-lineage')!;
      const manifest = extension.packageJSON as {
        icon: string;
        contributes: { walkthroughs: { id: string; steps: { description: string; media: { markdown: string } }[] }[] };
      };
      assert.ok(existsSync(`${extension.extensionPath}/${manifest.icon}`), 'the icon is packaged');
      const [walkthrough] = manifest.contributes.walkthroughs;
      assert.ok(walkthrough && walkthrough.steps.length >= 4);
      const commands = new Set(await vscode.commands.getCommands(true));
      for (const step of walkthrough.steps) {
        const links = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]!);
        assert.ok(links.length > 0, `step ${step.description.slice(0, 40)} links a command`);
        for (const command of links) assert.ok(commands.has(command), `${command} is registered`);
        assert.ok(existsSync(`${extension.extensionPath}/${step.media.markdown}`), step.media.markdown);
      }
      // Empty views show welcome content whose actions are commands that exist.
      const welcome = (extension.packageJSON as { contributes: { viewsWelcome: { view: string; contents: string }[] } }).contributes
        .viewsWelcome;
      assert.deepEqual(welcome.map((w) => w.view).sort(), [
        'lineage.approvals',
        'lineage.environments',
        'lineage.findings',
        'lineage.lineLineage',
      ]);
      for (const w of welcome)
        for (const m of w.contents.matchAll(/\(command:([\w.]+)/g)) assert.ok(commands.has(m[1]!), `${m[1]} (welcome of ${w.view})`);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      assert.deepEqual(await lineage.views.environments.roots(), [], 'no file open: the welcome content shows');
      assert.deepEqual(await lineage.views.approvals.roots(), []);
      await vscode.commands.executeCommand('lineage.environments.focus');
      await screenshot('views-welcome');
      editor = await openFixtureFile();
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', `code-lineage.code-lineage#${walkthrough.id}`, false);
      await until('the walkthrough tab', () =>
        vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => /Welcome|Walkthrough|Get started/i.test(t.label)),
      );
      await screenshot('walkthrough');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it("opens a line's evidence as a rendered Markdown preview, its document kept to be saved", async () => {
      const markdown = await vscode.commands.executeCommand<string>('lineage.showEvidence', { path: 'src/app.js', line: 3 });
      assert.match(markdown ?? '', /^# Evidence: src\/app\\\.js:3/);
      const preview = await until(
        'the evidence preview',
        async () =>
          vscode.window.tabGroups.all
            .flatMap((g) => g.tabs)
            .find((t) => t.input instanceof vscode.TabInputWebview && /markdown\.preview/.test(t.input.viewType)),
        20_000,
      );
      assert.match(preview.label, /Preview/);
      assert.ok(
        vscode.workspace.textDocuments.some((d) => d.isUntitled && d.languageId === 'markdown' && d.getText() === markdown),
        'the Markdown stays open as an unsaved document',
      );
      await screenshot('evidence-preview');
    });

    it("copies a line's lineage as Markdown and toggles the annotation", async () => {
      const text = await vscode.commands.executeCommand<string>('lineage.copyLineLineage', { path: 'src/app.js', line: 3 });
      assert.match(text, /^\*\*src\/app\.js:3\*\*/);
      assert.doesNotMatch(text, /command:/, 'copied Markdown carries no command links');
      assert.equal(await vscode.env.clipboard.readText(), text);
      assert.equal(await vscode.commands.executeCommand('lineage.toggleAnnotations'), false);
      assert.equal(await vscode.commands.executeCommand('lineage.toggleAnnotations'), true);
    });

    it('marks lines changed after the last approval, in the hover and the Approvals view', async () => {
      const util = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(fixture.utilFile)));
      const state = await lineage.controller.approvalState(util.document);
      assert.ok(state.ok, state.ok ? '' : state.reason);
      assert.deepEqual([...state.unapproved], [fixture.commits.utilChange]);
      const { text } = await hoverText(util.document.uri, 2);
      assert.match(text, /Changed after dave's approval\*\* of `[0-9a-f]{7}`/);
      assert.doesNotMatch((await hoverText(util.document.uri, 1)).text, /Changed after/);
      const gutter = await until('unapproved lines', () => {
        const g = lineage.decorations.lastGutter.get(util.document.uri.toString());
        return g?.unapproved?.length ? g : undefined;
      });
      assert.deepEqual(gutter.unapproved, [2]);
      const nodes = await lineage.views.approvals.roots();
      assert.equal(nodes[0]!.label, '#8');
      assert.ok(
        nodes.some((n) => n.label === 'dave' && /stale/.test(n.description ?? '')),
        nodes.map((n) => `${n.label} ${n.description}`).join(', '),
      );
      // The branch committed a policy with every rule off; the base's policy judges it all the same.
      assert.ok(
        nodes.some((n) => /blocking violation/.test(n.label) && /from main/.test(n.description ?? '')),
        nodes.map((n) => `${n.label} ${n.description}`).join(', '),
      );
      assert.ok(state.result.violations.some((v) => v.rule === 'policy-changed-in-branch' && v.severity === 'blocking'));
      assert.ok(state.result.violations.some((v) => v.rule === 'unapproved-commits'));
      await vscode.commands.executeCommand('lineage.approvals.focus');
      util.selection = new vscode.Selection(1, 4, 1, 4);
      await vscode.commands.executeCommand('editor.action.showHover');
      await screenshot('approvals');
      editor = await vscode.window.showTextDocument(editor.document);
    });

    it('traces a pasted stack trace from production to the line in the working copy', async () => {
      const opened = await vscode.commands.executeCommand<{ path: string; line: number }>(
        'lineage.traceFinding',
        "TypeError: Cannot read properties of undefined (reading 'id')\n    at handler (/app/src/app.js:4:5)\n    at process (node:internal/process/task_queues:95:5)",
      );
      assert.deepEqual(opened, { path: 'src/app.js', line: 4 });
      const active = vscode.window.activeTextEditor!;
      assert.equal(active.document.uri.fsPath, fixture.file);
      assert.equal(active.selection.active.line, 3);
      await screenshot('trace');
      editor = await vscode.window.showTextDocument(editor.document);
    });

    it('treats edited lines of a dirty buffer as changed locally and not live', async () => {
      await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'const added = true;\n'));
      const result = await lineage.controller.lineage(editor.document);
      assert.ok(result.ok);
      assert.equal(result.file.lines[0]!.commit, null);
      assert.deepEqual(
        result.file.lines[0]!.environments.map((e) => e.live),
        [false, false],
      );
      assert.equal(result.file.lines[1]!.environments.find((e) => e.name === 'production')!.live, true);
      const { text } = await hoverText(editor.document.uri, 1);
      assert.match(text, /Not committed/);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    });

    it("ran no program the repository's git configuration names, through every feature above", async () => {
      await vscode.commands.executeCommand('lineage.refresh');
      await lineage.controller.lineage(editor.document);
      assert.ok(lineage.gitProcessesStarted() > 0, 'git was used');
      const fired = existsSync(fixture.canaryMarker) ? readFileSync(fixture.canaryMarker, 'utf8') : '';
      assert.equal(fired, '', 'planted programs that ran');
    });
  });
} else {
  describe('Code Lineage in VS Code (untrusted workspace)', function () {
    this.timeout(60_000);

    it('runs no git process and explains how to trust, in the hover', async () => {
      assert.equal(vscode.workspace.isTrusted, false, 'the workspace is untrusted');
      const lineage = await api();
      const editor = await openFixtureFile();
      const { text } = await hoverText(editor.document.uri, 3);
      assert.match(text, /off in an untrusted workspace/);
      assert.match(text, /command:workbench\.trust\.manage/);
      await lineage.statusBar.update();
      assert.equal(lineage.statusBar.item.text, '$(shield) Lineage: untrusted');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === 'Code Lineage').length, 0);
      assert.equal((await lineage.views.environments.roots())[0]!.label, 'Trust this workspace to see its environments');
      assert.equal(lineage.gitProcessesStarted(), 0, 'no git process was started');
      await screenshot('untrusted-hover');
    });

    it('opens the timeline as an explanation of what it needs, running nothing', async () => {
      const lineage = await api();
      await openFixtureFile();
      await vscode.commands.executeCommand('lineage.showTimeline');
      assert.equal(lineage.timeline.showing, 'untrusted');
      const tab = await until('the panel opens', () =>
        vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Lineage Timeline'),
      );
      assert.ok(tab.input instanceof vscode.TabInputWebview, 'the panel is a webview');
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(lineage.gitProcessesStarted(), 0, 'no git process was started');
      await screenshot('untrusted-timeline');
    });
  });
}
