/**
 * The extension in a real VS Code with a self-managed GitLab as the source and no service: git only
 * until the user stores a token with "Code Lineage: Set GitLab Token" (typed into VS Code's input
 * box by the runner, as a user would); then the hover, Problems, the environments and the source
 * status come from the server that answers like GitLab.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { GitLabFixtureInfo } from '../gitlabFixture';
import { api, hoverText, screenshot, until } from './host';

const fixture: GitLabFixtureInfo = JSON.parse(process.env.LINEAGE_VSCODE_FIXTURE ?? '{}');

describe('Code Lineage in VS Code (GitLab as the source)', function () {
  this.timeout(60_000);
  let editor: vscode.TextEditor;

  before(async () => {
    editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(fixture.file)));
  });

  it('shows git only until a token is stored, and says how to store one', async () => {
    const lineage = await api();
    const result = await lineage.controller.lineage(editor.document);
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(result.file.source, 'git');
    const status = await vscode.commands.executeCommand<string>('lineage.showServiceStatus');
    assert.match(status, /no GitLab token is available: run "Code Lineage: Set GitLab Token"/);
  });

  it('stores the token typed into the input box and reads the project in its nested group from GitLab', async () => {
    const lineage = await api();
    await vscode.commands.executeCommand('lineage.setGitLabToken');
    const result = await until('lineage from GitLab', async () => {
      const r = await lineage.controller.lineage(editor.document);
      return r.ok && r.file.source === 'gitlab' ? r : undefined;
    });
    const line3 = result.file.lines[2]!;
    assert.equal(line3.pullRequest?.number, 7);
    assert.deepEqual(
      line3.environments.map((e) => [e.name, e.live]),
      [
        ['production', false],
        ['staging', true],
      ],
    );
    assert.deepEqual(Object.fromEntries(line3.approvals.map((a) => [a.reviewer, a.stale])), { alice: true, carol: false });
    assert.equal(
      result.file.lines[0]!.environments.find((e) => e.name === 'production')?.since?.deploymentId,
      `gitlab:${fixture.project}:deployment:11`,
    );
    const status = await vscode.commands.executeCommand<string>('lineage.showServiceStatus');
    // The fixture's instance answers protected environments with 403, as GitLab Free does: said, not failed.
    assert.match(
      status,
      /^Code Lineage reads GitLab at 127\.0\.0\.1:\d+: rate limit \d+\/2000 left; protected environments unknown: the token may not read them, or the project has none\.$/,
    );
  });

  it("hovers a line with GitLab's deployments, merge request and stale approval", async () => {
    const { text } = await hoverText(editor.document.uri, 3);
    assert.match(text, /staging\*\*: live since/);
    assert.match(text, /alice: approved on `[0-9a-f]{7}` ⚠ \*\*stale\*\*/);
    assert.match(text, /\\?!7 Harden line 3/, 'a merge request is named as GitLab names it');
    editor.selection = new vscode.Selection(2, 4, 2, 4);
    await vscode.commands.executeCommand('editor.action.showHover');
    await screenshot('gitlab-hover');
  });

  it('shows the vulnerability in Problems', async () => {
    const diagnostics = await until('the vulnerability in Problems', () => {
      const d = vscode.languages.getDiagnostics(editor.document.uri);
      return d.length ? d : undefined;
    });
    assert.deepEqual(
      diagnostics.map((d) => [d.range.start.line + 1, d.message.includes('Unsafe deserialization on line 4')]),
      [[4, true]],
    );
  });
});
