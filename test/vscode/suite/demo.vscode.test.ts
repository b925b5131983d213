/**
 * The extension on the demo's realistic repository and service (`lineage demo`): what a newcomer
 * sees after `npm run demo` and `code .`. Its screenshots are the README's pictures.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, hoverText, screenshot, until } from './host';

const fixture = JSON.parse(process.env.LINEAGE_VSCODE_FIXTURE ?? '{}') as { file: string };

describe('Code Lineage in VS Code (the demo)', function () {
  this.timeout(60_000);
  let editor: vscode.TextEditor;

  before(async () => {
    const lineage = await api();
    editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(fixture.file)));
    const result = await until('the demo service answers', async () => {
      const r = await lineage.controller.lineage(editor.document);
      return r.ok && r.file.source === 'service' ? r : undefined;
    });
    assert.deepEqual(result.ok && result.file.environments.map((e) => e.name).sort(), ['dev', 'production', 'staging']);
  });

  it('hovers the hotfixed line: where it runs, the hotfix that put it there, and the approval of its deployment', async () => {
    const { text } = await hoverText(editor.document.uri, 9);
    assert.match(text, /production/);
    assert.match(text, /hotfix/i);
    editor.selection = new vscode.Selection(8, 4, 8, 4);
    editor.revealRange(new vscode.Range(8, 0, 8, 0), vscode.TextEditorRevealType.InCenter);
    await vscode.commands.executeCommand('editor.action.showHover');
    await screenshot('demo-hover');
  });

  it('shows the runtime finding on the retry line, and the environments and findings views', async () => {
    const { text } = await hoverText(editor.document.uri, 4);
    assert.match(text, /gateway timeout/);
    // The previous hover stays up until its editor goes: reopen the file for this one.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('lineage.environments.focus');
    editor = await vscode.window.showTextDocument(editor.document);
    editor.selection = new vscode.Selection(3, 4, 3, 4);
    editor.revealRange(new vscode.Range(3, 0, 3, 0), vscode.TextEditorRevealType.InCenter);
    await vscode.commands.executeCommand('editor.action.showHover');
    await screenshot('demo-views');
  });
});
