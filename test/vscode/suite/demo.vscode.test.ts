/**
 * The extension on the demo's realistic repository and service (`lineage demo`): what a newcomer
 * sees after `npm run demo` and `code .`. Its screenshots are the README's pictures.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { api, hoverText, screenshot, until } from './host';

const fixture = JSON.parse(process.env.LINEAGE_VSCODE_FIXTURE ?? '{}') as { file: string; repoDir: string; serviceUrl: string };

interface PageItem {
  key: string;
  kind: string;
  lane: string;
  count: number;
  classes: string;
  label: string;
  role: string;
  tabindex: string;
  members: string[];
}
interface Snapshot {
  theme: string;
  background: string;
  colours: Record<string, string | null>;
  caption: string;
  lanes: { id: string; label: string }[];
  items: PageItem[];
  joins: { from: string; to: string; kind: string }[];
  chain: { key: string; check: string; label: string }[];
  chainEdges: { from: string; to: string }[];
  focused: string | null;
  state: unknown;
}

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

  describe('the Lineage Timeline', () => {
    const git = (args: string[]) => execFileSync('git', args, { cwd: fixture.repoDir, encoding: 'utf8' }).trim();
    const snap = async () => (await (await api()).timeline.snapshot()) as Snapshot;
    const get = async (path: string) => (await fetch(`${fixture.serviceUrl}${path}`)).json() as Promise<any>;

    before(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(fixture.file)));
      editor.selection = new vscode.Selection(8, 4, 8, 4);
      await vscode.commands.executeCommand('lineage.showTimeline');
      let last: unknown;
      await until('the timeline draws the file', async () => {
        const s = await snap().catch((e: unknown) => {
          last = e;
          return undefined;
        });
        if (s) last = s;
        return s && s.items.some((i) => i.kind === 'deployment') && s.chain.length > 0 ? s : undefined;
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}; the page said: ${JSON.stringify(last)?.slice(0, 1500) ?? String(last)}`);
      });
    });

    it('draws every environment lane, every deployment and finding, each deployment joined to the commit of the file it shipped', async () => {
      const first = await snap();
      assert.deepEqual(
        first.lanes.map((l) => l.id),
        ['history', 'env:dev', 'env:staging', 'env:production'],
      );
      assert.match(first.caption, /src\/payments\.js · acme\/shop-api · from the service/);
      // The page aggregates what is too close to tell apart: open each aggregate (a real click
      // in the page zooms in on it) until every deployment and finding has been seen on its own.
      const singles = new Map<string, { item: PageItem; joins: Snapshot['joins'] }>();
      const press = async (key: string) => assert.ok(await (await api()).timeline.press(key), `${key} is in the page`);
      const visit = async (path: string[]): Promise<void> => {
        const s = await snap();
        for (const i of s.items.filter((x) => x.count === 1))
          singles.set(i.key, { item: i, joins: s.joins.filter((j) => j.from === i.key || j.to === i.key) });
        if (path.length > 6) return;
        const clusters = s.items.filter((x) => x.count > 1 && (x.kind === 'deployment' || x.kind === 'finding'));
        for (const cluster of clusters) {
          if (cluster.members.every((m) => singles.has(m))) continue;
          // Back to this view the way a user gets there (Fit, then each aggregate on the way), then into the aggregate.
          await press('#fit');
          for (const step of path) await press(step);
          await press(cluster.key);
          await visit([...path, cluster.key]);
        }
      };
      await visit([]);
      const environments = (await get('/v1/repos/acme/shop-api/environments')).environments as { name: string }[];
      let expected = 0;
      for (const env of environments) {
        const { deployments } = await get(`/v1/repos/acme/shop-api/environments/${env.name}/deployments?limit=200`);
        for (const d of deployments as { id: string; commit: string }[]) {
          expected++;
          const key = `deployment:${env.name}:${d.id}`;
          const seen = singles.get(key);
          assert.ok(seen, `${key} is drawn`);
          assert.equal(seen.item.lane, `env:${env.name}`);
          const truth = git(['log', '-1', '--format=%H', d.commit, '--', 'src/payments.js']);
          const shipped = seen.joins.find((j) => j.from === key && j.kind === 'shipped');
          assert.equal(shipped?.to, `commit:${truth}`, `${key} is joined to the commit of the file it shipped`);
        }
      }
      assert.equal([...singles.values()].filter((s) => s.item.kind === 'deployment').length, expected);
      const rollback = [...singles.values()].find((s) => s.item.classes.includes('rollback'));
      assert.ok(rollback, 'the rollback is drawn and marked');
      assert.ok(rollback.joins.some((j) => j.kind === 'rolled-back'));
      assert.ok(
        [...singles.values()].some((s) => s.item.classes.includes('hotfix')),
        'the hotfix is marked',
      );
      const findings = [...singles.values()].filter((s) => s.item.kind === 'finding');
      const open = (await get('/v1/repos/acme/shop-api/findings?path=src/payments.js&limit=100')).findings as unknown[];
      assert.equal(findings.length, open.length);
      for (const f of findings)
        assert.ok(
          f.joins.some((j) => j.from === f.item.key && j.kind === 'seen-on' && j.to.startsWith('deployment:production:')),
          `${f.item.key} is joined to the production deployment that ran when it was first seen`,
        );
      await (await api()).timeline.press('#fit');
    });

    it('labels every item for a screen reader, with one item in the tab order', async () => {
      const s = await snap();
      assert.ok(s.items.length > 0);
      for (const i of s.items) {
        assert.equal(i.role, 'button');
        assert.ok(i.label.length > 10, `${i.key} has a label`);
      }
      assert.equal(s.items.filter((i) => i.tabindex === '0').length, 1);
    });

    it('moves between items and lanes with the arrow keys, and Enter opens an aggregate by zooming in', async () => {
      const timeline = (await api()).timeline;
      await timeline.press('#fit');
      const s = await snap();
      const production = s.items.filter((i) => i.lane === 'env:production');
      assert.ok(production.length >= 2);
      assert.ok(await timeline.key('ArrowRight', production[0]!.key));
      assert.equal((await snap()).focused, production[1]!.key, 'right: the next item on the lane');
      await timeline.key('ArrowUp');
      const up = (await snap()).focused;
      assert.ok(s.items.find((i) => i.key === up)?.lane === 'env:staging', 'up: the nearest item on the lane above');
      const cluster = s.items.find((i) => i.count > 1);
      if (cluster) {
        await timeline.key('Enter', cluster.key);
        const zoomed = await snap();
        assert.ok(!zoomed.items.some((i) => i.key === cluster.key), 'the aggregate opened');
        assert.ok(cluster.members.some((m) => zoomed.items.some((i) => i.members.includes(m) && i.count < cluster.count)));
      }
      await timeline.press('#fit');
    });

    it("draws the cursor line's chain with each link's verification state", async () => {
      const s = await snap();
      const hotfix = git(['log', '-1', '--format=%H', '-L9,9:src/payments.js']).split('\n')[0]!;
      assert.ok(
        s.chain.some((n) => n.key === `commit:${hotfix}`),
        'the line’s commit starts the chain',
      );
      assert.ok(s.chain.some((n) => n.key.startsWith('deployment:')));
      assert.ok(
        s.chain.some((n) => n.check === 'verified'),
        'a verified link is marked',
      );
      for (const e of s.chainEdges) assert.ok(s.chain.some((n) => n.key === e.from) && s.chain.some((n) => n.key === e.to));
      await screenshot('timeline-dark');
    });

    it('opens a commit as its diff and a deployment as its evidence', async () => {
      // Aggregates open by zooming in, as a user's click on one does, until one item of the kind is alone.
      const single = async (kind: string): Promise<PageItem> => {
        await (await api()).timeline.press('#fit');
        for (let i = 0; i < 8; i++) {
          const s = await snap();
          const alone = s.items.find((x) => x.kind === kind && x.count === 1);
          if (alone) return alone;
          const cluster = s.items.find((x) => x.kind === kind);
          assert.ok(cluster, `a ${kind} is drawn`);
          await (await api()).timeline.press(cluster.key);
        }
        throw new Error(`no ${kind} drawn alone`);
      };
      const commit = await single('commit');
      assert.ok(await (await api()).timeline.press(commit.key));
      const diff = await until('the diff opens', () => {
        const input = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff)?.input;
        return input instanceof vscode.TabInputTextDiff ? input : undefined;
      });
      const sha = commit.key.slice('commit:'.length);
      assert.equal(diff.modified.scheme, 'lineage-revision');
      const right = await vscode.workspace.openTextDocument(diff.modified);
      assert.equal(right.getText(), git(['show', `${sha}:src/payments.js`]) + '\n');
      const deployment = await single('deployment');
      assert.ok(await (await api()).timeline.press(deployment.key));
      const id = deployment.key.split(':').slice(2).join(':');
      await until('the evidence opens', () =>
        vscode.workspace.textDocuments.find((d) => d.languageId === 'markdown' && d.getText().includes(`# Evidence: deployment ${id}`)),
      );
      assert.deepEqual(
        (await api()).timeline.activity.opened.slice(-2).map((o) => o.kind),
        ['commit', 'deployment'],
      );
    });

    it('opens a finding at its line in the working copy', async () => {
      await (await api()).timeline.press('#fit');
      const s = await snap();
      const finding = s.items.find((i) => i.kind === 'finding' && i.count === 1) ?? s.items.find((i) => i.kind === 'finding')!;
      if (finding.count > 1) await (await api()).timeline.press(finding.key);
      const key = finding.count > 1 ? finding.members[0]! : finding.key;
      assert.ok(await (await api()).timeline.press(key));
      const lineage = await (await api()).controller.lineage(await vscode.workspace.openTextDocument(vscode.Uri.file(fixture.file)));
      const expected = lineage.ok ? lineage.file.lines.find((l) => l.findings.some((f) => `finding:${f.id}` === key))?.line : undefined;
      assert.ok(expected, 'the finding maps to a line of the working copy');
      await until('the finding opens at its line', () => {
        const e = vscode.window.activeTextEditor;
        return e?.document.uri.fsPath === fixture.file && e.selection.active.line + 1 === expected ? e : undefined;
      });
    });

    it('follows the active editor and the selected lines, and redraws when the source has new data', async () => {
      const cart = vscode.Uri.file(fixture.file.replace(/payments\.js$/, 'cart.js'));
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(cart), vscode.ViewColumn.One);
      await until('the timeline follows to cart.js', async () => ((await snap()).caption.startsWith('src/cart.js') ? true : undefined));
      editor = await vscode.window.showTextDocument(
        await vscode.workspace.openTextDocument(vscode.Uri.file(fixture.file)),
        vscode.ViewColumn.One,
      );
      editor.selection = new vscode.Selection(8, 0, 10, 3);
      const selected = await until('the timeline draws lines 9–11', async () => {
        const s = await snap();
        return s.caption.startsWith('lines 9–11 of src/payments.js') ? s : undefined;
      });
      const truth = git(['log', '--format=%H', '-s', '-L9,11:src/payments.js'])
        .split('\n')
        .filter((l) => /^[0-9a-f]{40}$/.test(l));
      const focused = selected.items.filter((i) => i.kind === 'commit' && i.classes.split(' ').includes('focus')).flatMap((i) => i.members);
      assert.ok(focused.length > 0);
      for (const key of focused) assert.ok(truth.includes(key.slice('commit:'.length)), `${key} changed lines 9–11`);
      // A new deployment to production, sent to the service as a deploy script would; Refresh (or
      // the data-version poll) brings it to the page.
      const head = git(['rev-parse', 'HEAD']);
      const sent = await fetch(`${fixture.serviceUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'deployment',
          id: 'timeline-test-deploy',
          repo: 'acme/shop-api',
          deploymentId: 'tl-1',
          environment: 'production',
          commit: head,
          at: new Date().toISOString(),
          actor: 'tester',
          kind: 'deploy',
          status: 'success',
        }),
      });
      assert.equal(sent.status, 200, await sent.clone().text());
      await vscode.commands.executeCommand('lineage.refresh');
      await until('the new deployment is drawn', async () => {
        const s = await snap();
        return s.items.some((i) => i.members.includes('deployment:production:tl-1')) ? true : undefined;
      });
    });

    it('adopts a panel VS Code restores after a reload, and draws the file it drew before', async () => {
      const timeline = (await api()).timeline;
      const kept = (await snap()).state as { subject?: { file?: string } } | null;
      assert.equal(kept?.subject?.file, fixture.file, 'the page keeps the file it draws for the next session');
      const before = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Lineage Timeline');
      if (before) await vscode.window.tabGroups.close(before);
      await until('the panel closed', () => (timeline.showing === null ? true : undefined));
      // What VS Code's serializer hands over after a reload: a panel of this view type with the
      // page's state, no page yet, and the panel itself active (no text editor is).
      const restored = vscode.window.createWebviewPanel('lineage.timeline', 'Lineage Timeline', vscode.ViewColumn.Two, {});
      await until('the restored panel is active', () => (vscode.window.activeTextEditor === undefined ? true : undefined));
      await timeline.restore(restored, kept);
      assert.equal(timeline.showing, 'timeline');
      assert.equal(restored.webview.options.enableScripts, true, 'the restored panel gets this session’s options');
      await until('the restored panel draws the file', async () => {
        const s = await snap().catch(() => undefined);
        return s && s.items.some((i) => i.kind === 'deployment') && s.caption.includes('src/payments.js') ? s : undefined;
      });
    });

    it('follows the theme: light and high-contrast colours from VS Code', async () => {
      const config = vscode.workspace.getConfiguration('workbench');
      const themed = (kind: string) =>
        until(`the ${kind} theme reaches the page`, async () => {
          const s = await snap();
          return s.theme.split(' ').includes(kind) ? s : undefined;
        });
      try {
        await config.update('colorTheme', 'Default Dark Modern', vscode.ConfigurationTarget.Global);
        const dark = await themed('vscode-dark');
        await config.update('colorTheme', 'Default Light Modern', vscode.ConfigurationTarget.Global);
        const light = await themed('vscode-light');
        assert.notEqual(light.background, dark.background);
        assert.notEqual(light.colours.deployment, null);
        assert.notEqual(light.colours.deployment, dark.colours.deployment, 'the chart colours follow the theme');
        await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
        await screenshot('timeline-light');
        await config.update('colorTheme', 'Default High Contrast', vscode.ConfigurationTarget.Global);
        const contrast = await themed('vscode-high-contrast');
        assert.notEqual(contrast.background, light.background);
      } finally {
        await config.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
      }
    });
  });
});
