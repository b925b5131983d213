/**
 * The Lineage Timeline's model on the engine's output: the demo's real repository and service over
 * HTTP, gathered through the session. Every join is checked against git itself (the commit of the
 * file a deployed commit holds is the newest commit changing the file in that commit's history).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoWorld, type DemoWorld } from '../../src/cli/demo/demoWorld';
import { Repository } from '../../src/core/git/repository';
import { TimelineLayout } from '../../src/core/picture/timelineLayout';
import type { TimelineModel } from '../../src/core/picture/timelineModel';
import { evidenceForLine } from '../../src/core/evidence/evidenceChain';
import { chainGraph } from '../../src/core/picture/chainGraph';
import { LineageSession } from '../../src/core/session/lineageSession';
import { runLineage } from '../helpers/cli';

/** Tags open and close in order (the serialiser's output is XML, so a checker this small suffices). */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  for (const m of xml
    .replace(/<\?xml[^>]*\?>/, '')
    .replace(/<!doctype[^>]*>/i, '')
    .matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, , selfClosing] = m;
    if (['meta', 'br'].includes(name!.toLowerCase())) continue;
    if (selfClosing) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes what was opened`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'every element is closed');
}

const policy = { order: ['dev', 'staging', 'production'], production: 'production' };

describe('Lineage Timeline on the demo repository and service', function () {
  this.timeout(120_000);
  let root: string;
  let world: DemoWorld;
  let session: LineageSession;
  let repo: Repository;
  let model: TimelineModel;
  const git = (args: string[]) => execFileSync('git', args, { cwd: world.repo.dir, encoding: 'utf8' }).trim();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'lineage-timeline-'));
    world = await startDemoWorld(root, 0);
    session = new LineageSession(
      { source: 'service', apiUrl: world.url, githubUrl: null, detectMoves: false },
      { apiToken: async () => null, githubToken: async () => null, githubTokenHelp: '' },
    );
    repo = await Repository.open(world.repo.dir);
    const answer = await session.timeline({ repo, path: 'src/payments.js', slug: world.repo.slug, policy });
    assert.deepEqual(answer.notices, []);
    assert.equal(answer.source, 'service');
    model = answer.model;
  });
  after(async () => {
    await session?.close();
    await world?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('has the history lane and one lane per environment, in promotion order', () => {
    assert.deepEqual(
      model.lanes.map((l) => l.id),
      ['history', 'env:dev', 'env:staging', 'env:production'],
    );
  });

  it('puts every commit that changed the file on the history lane, as git log lists them', () => {
    const expected = git(['log', '--follow', '--format=%H', '--no-merges', '--', 'src/payments.js']).split('\n');
    const commits = model.items.filter((i) => i.kind === 'commit');
    assert.deepEqual(commits.map((c) => c.id).reverse(), expected);
    assert.ok(commits.every((c) => c.lane === 'history'));
  });

  it('joins every deployment to the commit of this file it shipped, as git says', async () => {
    const deployments = model.items.filter((i) => i.kind === 'deployment');
    const service = (await world.client.environments(world.repo.slug)).environments;
    let total = 0;
    for (const env of service) total += (await world.client.deployments(world.repo.slug, env.name, { limit: 200 })).deployments.length;
    assert.equal(deployments.length, total, 'every deployment of every environment is drawn');
    for (const d of deployments) {
      const join = model.joins.find((j) => j.from === d.key && j.kind === 'shipped');
      const full = (await world.client.deployment(d.id)).commit!;
      const truth = git(['log', '-1', '--format=%H', full, '--', 'src/payments.js']);
      assert.equal(join?.to, `commit:${truth}`, `${d.key} ran ${full.slice(0, 7)}: this file as of ${truth.slice(0, 7)}`);
      assert.equal(d.lane, `env:${d.target.kind === 'deployment' ? d.target.environment : '?'}`);
    }
  });

  it('marks the rollback and what it rolled back, and the hotfix', () => {
    const rollback = model.items.find((i) => i.kind === 'deployment' && i.marks.includes('rollback'));
    assert.ok(rollback, 'a rollback is drawn');
    assert.equal(rollback.lane, 'env:production');
    const undone = model.joins.find((j) => j.from === rollback.key && j.kind === 'rolled-back');
    assert.ok(undone, 'the rollback is joined to the deployment it undid');
    assert.ok(model.items.find((i) => i.key === undone.to)?.marks.includes('rolled-back'));
    const hotfix = model.items.find((i) => i.kind === 'deployment' && i.marks.includes('hotfix'));
    assert.ok(hotfix, 'the hotfix is drawn');
    const current = model.items.filter((i) => i.lane === 'env:production' && i.marks.includes('current'));
    assert.equal(current.length, 1, 'one deployment runs in production now');
  });

  it('places each finding where it was first seen, joined to the deployment that ran then', async () => {
    const findings = model.items.filter((i) => i.kind === 'finding');
    const open = await world.client.findings(world.repo.slug, { path: 'src/payments.js', limit: 100 });
    assert.equal(findings.length, open.findings.length);
    assert.ok(findings.length > 0);
    for (const f of findings) {
      const source = open.findings.find((x) => x.id === f.id)!;
      const seen = Date.parse(source.firstSeenAt ?? source.detectedAt!);
      assert.equal(f.at, seen);
      const join = model.joins.find((j) => j.from === f.key && j.kind === 'seen-on');
      assert.ok(join, `${f.id} is joined`);
      const ran = model.items.find((i) => i.key === join.to)!;
      assert.equal(ran.lane, f.lane, 'on the lane of the environment it was seen in');
      assert.ok(ran.at <= seen, 'the deployment had started');
      const later = model.items.filter(
        (i) => i.lane === f.lane && i.kind === 'deployment' && i.at > ran.at && i.at <= seen && !i.marks.includes('not-live'),
      );
      assert.deepEqual(later, [], 'no later deployment ran there before the finding was seen');
    }
  });

  it('puts pull requests on the history lane with their approvals, joined to their commits', () => {
    const prs = model.items.filter((i) => i.kind === 'pull_request');
    assert.ok(prs.length > 0);
    for (const pr of prs) {
      assert.ok(model.joins.some((j) => j.to === pr.key && j.kind === 'in-pull-request'));
      assert.ok(pr.end! >= pr.at);
    }
    const approvals = model.items.filter((i) => i.kind === 'approval');
    assert.ok(approvals.length > 0);
    for (const a of approvals) assert.ok(model.joins.some((j) => j.from === a.key && j.kind === 'approved'));
  });

  it('lays out only what a window shows, aggregating dense stretches', () => {
    const layout = new TimelineLayout(model);
    const full = layout.frame(layout.fullView(1200));
    const drawn = full.glyphs.reduce((n, g) => n + g.items.length, 0);
    assert.equal(drawn, model.items.length, 'the full view accounts for every item');
    const narrow = layout.frame(layout.fullView(260));
    assert.ok(narrow.glyphs.length < full.glyphs.length, 'a narrow view aggregates');
    assert.ok(narrow.glyphs.some((g) => g.items.length > 1));
    const first = model.items.filter((i) => i.lane === 'env:production').sort((a, b) => a.at - b.at)[0]!;
    const window = layout.frame({ from: first.at - 1000, to: first.at + 1000, width: 1200 });
    assert.ok(window.glyphs.every((g) => g.items.every((i) => i.at >= first.at - 30_000 || i.end! >= first.at - 1000)));
  });

  it('draws the evidence chain of the hotfixed line: every item a node, links from what they follow, each with its check and audit entry', async () => {
    const lineage = await session.lineage({ repo, path: 'src/payments.js', slug: world.repo.slug });
    const line = lineage.file.lines.findIndex((l) => l.commit?.sha === world.repo.commits.hotfix!.sha) + 1;
    assert.ok(line > 0, 'the hotfix wrote a line');
    const client = (await session.serviceClient())!;
    const evidence = await evidenceForLine(client, world.repo.slug, 'src/payments.js', line, world.repo.commits.hotfix!.sha, [], (sha) =>
      session.signature(repo, sha),
    );
    const graph = chainGraph(evidence);
    assert.equal(graph.nodes.length, new Set(evidence.items.map((i) => `${i.kind}:${i.id}`)).size);
    assert.ok(graph.verdict.intact, graph.verdict.text);
    const deployments = graph.nodes.filter((n) => n.item.kind === 'deployment');
    assert.ok(deployments.length > 0);
    for (const d of deployments)
      assert.ok(
        graph.edges.some((e) => e.to === d.ref),
        `${d.ref} follows from something`,
      );
    for (const n of graph.nodes.filter((x) => x.item.eventKey)) assert.match(n.audit.text, /^audit entry #\d+ ✓$/);
    const commit = graph.nodes.find((n) => n.ref === `commit:${world.repo.commits.hotfix!.sha}`)!;
    assert.equal(commit.check?.state, 'none', 'the demo commits are unsigned, and say so');
    // Left to right: every edge goes rightwards.
    for (const e of graph.edges) {
      const a = graph.nodes.find((n) => n.ref === e.from)!;
      const b = graph.nodes.find((n) => n.ref === e.to)!;
      assert.ok(b.x > a.x, `${e.from} → ${e.to} runs left to right`);
    }
  });

  it('`lineage evidence --format svg` and `--format html` write standalone pictures, nothing in them runs', async () => {
    const lineage = await session.lineage({ repo, path: 'src/payments.js', slug: world.repo.slug });
    const line = lineage.file.lines.findIndex((l) => l.commit?.sha === world.repo.commits.hotfix!.sha) + 1;
    const env = { LINEAGE_API_URL: world.url };
    const svg = await runLineage(world.repo.dir, ['evidence', `src/payments.js:${line}`, '--format', 'svg'], undefined, env);
    assert.equal(svg.status, 0, svg.stderr);
    assert.match(svg.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assertWellFormed(svg.stdout);
    assert.ok(svg.stdout.includes(`data-key="commit:${world.repo.commits.hotfix!.sha}"`));
    assert.match(svg.stdout, /data-kind="deployment"/);
    assert.match(svg.stdout, /Chain intact/);
    assert.doesNotMatch(svg.stdout, /<script|href=|xlink|@import/i);

    const out = join(root, 'evidence.html');
    const html = await runLineage(
      world.repo.dir,
      ['evidence', `src/payments.js:${line}`, '--format', 'html', '--out', out],
      undefined,
      env,
    );
    assert.equal(html.status, 0, html.stderr);
    assert.equal(html.stdout, '');
    const page = (await import('node:fs')).readFileSync(out, 'utf8');
    assertWellFormed(page);
    assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
    assert.doesNotMatch(page, /<script|<link|src=/i);
    for (const lane of ['dev', 'staging', 'production'])
      assert.ok(page.includes(`data-lane="env:${lane}"`), `the timeline has the ${lane} lane`);
    assert.ok((page.match(/<tr><td>/g) ?? []).length >= 5, 'the items are listed');

    const bad = await runLineage(world.repo.dir, ['evidence', `src/payments.js:${line}`, '--format', 'png'], undefined, env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--format must be text, md, json, svg or html, got "png"/);
  });
});
