/**
 * The extension in a real VS Code with GitHub as the source and no service: nothing is asked of
 * GitHub's sign-in until the user runs the command; then the hover, Problems and the status bar
 * come from the server that answers like GitHub, through the Enterprise session.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { GitHubFixtureInfo } from '../githubFixture';
import { api, hoverText, screenshot, until } from './host';

const fixture: GitHubFixtureInfo = JSON.parse(process.env.LINEAGE_VSCODE_FIXTURE ?? '{}');
/** Counts kept by the runner extension's stand-in for the Enterprise sign-in. */
const auth = () => (globalThis as { lineageTestAuth?: { getSessions: number; createSession: number } }).lineageTestAuth;

describe('Code Lineage in VS Code (GitHub as the source)', function () {
  this.timeout(60_000);
  let editor: vscode.TextEditor;

  before(async () => {
    editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(fixture.file)));
  });

  it('shows git only, and signs in to nothing, until the user asks', async () => {
    const lineage = await api();
    assert.ok(auth(), 'the Enterprise sign-in stand-in is registered');
    const result = await lineage.controller.lineage(editor.document);
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.equal(result.file.source, 'git', 'no session yet: deploy tags');
    assert.equal(auth()!.createSession, 0, "no sign-in was started on the user's behalf");
    const { text } = await hoverText(editor.document.uri, 3);
    assert.match(text, /deployments, reviews and alerts are on 127\\\.0\\\.0\\\.1: \[Sign in to GitHub\]\(command:lineage\.signInGitHub /);
    const environments = await lineage.views.environments.roots();
    assert.equal(environments[0]!.label, 'Sign in to GitHub to see the environments on 127.0.0.1');
    assert.equal(environments[0]!.command?.command, 'lineage.signInGitHub');
    const status = await vscode.commands.executeCommand<string>('lineage.showServiceStatus');
    assert.match(
      status,
      /^Code Lineage reads deploy tags: git only: the origin is on 127\.0\.0\.1 but no GitHub token is available\. Run "Code Lineage: Sign in to GitHub"/,
    );
  });

  it('signs in through the Enterprise provider of the configured server and reads GitHub', async () => {
    const lineage = await api();
    const signingIn = vscode.commands.executeCommand('lineage.signInGitHub');
    await screenshot('github-consent');
    await signingIn;
    assert.equal(auth()!.createSession, 1, 'the command signed in once, after the consent dialog');
    const result = await until('lineage from GitHub', async () => {
      const r = await lineage.controller.lineage(editor.document);
      return r.ok && r.file.source === 'github' ? r : undefined;
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
    assert.equal(result.file.lines[0]!.environments.find((e) => e.name === 'production')?.since?.deploymentId, '11');
    const status = await vscode.commands.executeCommand<string>('lineage.showServiceStatus');
    assert.match(status, /^Code Lineage reads GitHub at 127\.0\.0\.1:\d+: rate limit \d+\/5000 left\.$/);
  });

  it("hovers a line with GitHub's deployments, pull request and stale approval", async () => {
    const { text } = await hoverText(editor.document.uri, 3);
    assert.match(text, /staging\*\*: live since/);
    assert.match(text, /production: pending/);
    assert.match(text, /alice: approved on `[0-9a-f]{7}` ⚠ \*\*stale\*\*/);
    assert.match(text, /\\#7 Harden line 3/);
    editor.selection = new vscode.Selection(2, 4, 2, 4);
    await vscode.commands.executeCommand('editor.action.showHover');
    await screenshot('github-hover');
  });

  it('shows the code-scanning alert in Problems and the furthest environment in the status bar', async () => {
    const lineage = await api();
    const diagnostics = await until('the alert in Problems', () => {
      const d = vscode.languages.getDiagnostics(editor.document.uri).filter((x) => x.source === 'Code Lineage');
      return d.length > 0 ? d : undefined;
    });
    assert.ok(
      diagnostics.some((d) => d.range.start.line === 3 && /Unsafe deserialization/.test(d.message)),
      diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`).join('; '),
    );
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await lineage.statusBar.update();
    assert.equal(lineage.statusBar.item.text, '$(rocket) production');
    assert.match(
      typeof lineage.statusBar.item.tooltip === 'string' ? lineage.statusBar.item.tooltip : (lineage.statusBar.item.tooltip?.value ?? ''),
      /^Code Lineage \(GitHub\)/,
    );
  });

  it("lists GitHub's environments and code-scanning alerts in the views", async () => {
    const lineage = await api();
    const environments = await lineage.views.environments.roots();
    assert.deepEqual(
      environments.map((e) => e.label),
      ['staging', 'production'],
    );
    assert.match(environments[1]!.description ?? '', new RegExp(`^${fixture.commits.first!.slice(0, 7)} · .* · release-bot$`));
    const waiting = await environments[1]!.children!();
    assert.ok(
      waiting.some((n) => n.label === 'Harden line 3'),
      waiting.map((n) => n.label).join(', '),
    );
    const findings = await lineage.views.findings.roots();
    assert.deepEqual(
      findings.map((f) => f.description),
      ['1'],
      findings.map((f) => f.label).join(', '),
    );
    const files = await findings[0]!.children!();
    assert.equal(files[0]!.label, 'src/app.js');
    const [alert] = await files[0]!.children!();
    assert.match(alert!.label, /Unsafe deserialization/);
    // "Open finding" in the hover and Problems reaches the alert on GitHub without a service.
    const result = await lineage.controller.lineage(editor.document);
    const id = result.ok ? result.file.lines[3]!.findings[0]?.id : undefined;
    assert.equal(id, 'github:acme/app:code-scanning:5');
    const found = await lineage.controller.activeRepository();
    assert.match(
      (await lineage.controller.session.finding(found!.repo, found!.slug, id))?.url ?? '',
      /\/acme\/app\/security\/code-scanning\/5$/,
    );
  });

  it('reviews the branch from GitHub: the commit after the last approval, in the hover and the Approvals view', async () => {
    const lineage = await api();
    const util = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(fixture.utilFile)));
    const state = await lineage.controller.approvalState(util.document);
    assert.ok(state.ok, state.ok ? '' : state.reason);
    assert.deepEqual([...state.unapproved], [fixture.commits.utilChange]);
    assert.match((await hoverText(util.document.uri, 2)).text, /Changed after dave's approval\*\* of `[0-9a-f]{7}`/);
    const nodes = await lineage.views.approvals.roots();
    assert.equal(nodes[0]!.label, '#8');
    assert.ok(
      nodes.some((n) => n.label === 'dave' && /stale/.test(n.description ?? '')),
      nodes.map((n) => `${n.label} ${n.description}`).join(', '),
    );
    editor = await vscode.window.showTextDocument(editor.document);
  });

  it("draws the timeline and the line's chain from GitHub, unaudited and said so", async () => {
    const lineage = await api();
    editor = await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(2, 4, 2, 4);
    await vscode.commands.executeCommand('lineage.showTimeline');
    type Snap = {
      caption: string;
      lanes: { id: string }[];
      items: { kind: string; lane: string; members: string[] }[];
      chain: { key: string; check: string }[];
      chainVerdict: string | null;
    };
    const s = await until('the timeline from GitHub', async () => {
      const snap = (await lineage.timeline.snapshot().catch(() => undefined)) as Snap | undefined;
      return snap && snap.chain.length > 0 && snap.items.some((i) => i.kind === 'deployment') ? snap : undefined;
    });
    assert.match(s.caption, /src\/app\.js · .* · from GitHub/);
    assert.deepEqual(
      s.lanes.map((l) => l.id),
      ['history', 'env:staging', 'env:production'],
    );
    const deployments = s.items.filter((i) => i.kind === 'deployment').flatMap((i) => i.members);
    assert.ok(deployments.includes('deployment:production:11'), deployments.join(', '));
    assert.equal(s.chainVerdict, 'No audit log: the chain as GitHub says it now');
    assert.ok(s.chain.some((n) => n.key === 'pull_request:#7'));
    const reviews = s.chain.filter((n) => n.key.startsWith('review:'));
    assert.deepEqual(reviews.map((r) => [r.key.split('-').pop(), r.check]).sort(), [
      ['alice', 'failed'],
      ['carol', 'verified'],
    ]);
    assert.ok(
      s.chain.some((n) => n.key.startsWith('deployment:')),
      'the deployment the line is live in (staging)',
    );
    await screenshot('github-timeline');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    editor = await vscode.window.showTextDocument(editor.document);
  });

  it('falls back to git only, with the reason in the hover, when GitHub cannot be reached', async () => {
    const lineage = await api();
    const config = vscode.workspace.getConfiguration('lineage');
    // Port 1 on the same host: the session still applies, nothing answers.
    await config.update('github.url', 'http://127.0.0.1:1', vscode.ConfigurationTarget.Workspace);
    try {
      const result = await until(
        'git only with a reason',
        async () => {
          const r = await lineage.controller.lineage(editor.document);
          return r.ok && r.notice?.startsWith('GitHub: ') ? r : undefined;
        },
        50_000,
      );
      assert.ok(result.ok);
      assert.equal(result.file.source, 'none');
      assert.match(result.notice ?? '', /cannot reach 127\.0\.0\.1:1.*showing git only/);
      // A hover asked while the answer is recomputed shows git's part first, then the full one.
      const text = await until(
        'the reason in the hover',
        async () => {
          const hover = (await hoverText(editor.document.uri, 3)).text;
          // Outside strings reach Markdown escaped: the reason is read without the escapes.
          return /GitHub: cannot reach 127\.0\.0\.1:1/.test(hover.replace(/\\/g, '')) ? hover : undefined;
        },
        20_000,
      );
      assert.match(text, /`[0-9a-f]{7}` Harden line 3/, 'the git part is there');
    } finally {
      await config.update('github.url', undefined, vscode.ConfigurationTarget.Workspace);
      // GitHub answers again before the next test counts what is asked of the session.
      await until('GitHub again', async () => {
        const r = await lineage.controller.lineage(editor.document);
        return r.ok && r.file.source === 'github' ? r : undefined;
      });
    }
  });

  it("sends the session's token nowhere but the server the Enterprise provider signed in to", async () => {
    const lineage = await api();
    const config = vscode.workspace.getConfiguration('github-enterprise');
    await config.update('uri', 'https://other.example', vscode.ConfigurationTarget.Global);
    try {
      const asked = auth()!.getSessions;
      const result = await until('git only', async () => {
        const r = await lineage.controller.lineage(editor.document);
        return r.ok && r.file.source === 'git' ? r : undefined;
      });
      assert.ok(result.ok);
      assert.equal(auth()!.getSessions, asked, 'the session was not even looked up');
      assert.match(
        lineage.controller.github.sessionProblem() ?? `none, for ${lineage.controller.github.apiUrl()}`,
        /names other\.example but lineage\.github\.url is on 127\.0\.0\.1/,
      );
    } finally {
      // Last in the run: VS Code's own GitHub extension takes the provider back on this change.
      await config.update('uri', fixture.githubUrl, vscode.ConfigurationTarget.Global);
    }
  });
});
