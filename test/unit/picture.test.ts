/**
 * The picture layer on a real repository built here: which version of the file each deployment
 * joins to (reverts, renames, commits missing from the clone, other branches), stale approvals,
 * findings joined to what ran, aggregation, and the serialiser's escaping of hostile strings.
 */
import assert from 'node:assert/strict';
import { fileHistory, lineRangeHistory, versionsAt } from '../../src/core/git/fileHistory';
import { Repository } from '../../src/core/git/repository';
import type { Evidence } from '../../src/core/evidence/evidenceChain';
import { lineChain } from '../../src/core/evidence/lineChain';
import type { FileLineage } from '../../src/core/lineage/lineLineage';
import type { CommitLineage } from '../../src/core/model/api';
import type { Deployment, Finding } from '../../src/core/model/domain';
import { chainGraph } from '../../src/core/picture/chainGraph';
import { evidenceHtml, evidenceSvg } from '../../src/core/picture/pictureDocument';
import { el, toXml } from '../../src/core/picture/svgTree';
import { TimelineLayout } from '../../src/core/picture/timelineLayout';
import { buildTimeline, type TimelineInput } from '../../src/core/picture/timelineModel';
import { timelineNode } from '../../src/core/picture/timelineSvg';
import { TestRepo } from '../helpers/gitRepo';

const policy = { order: ['dev', 'staging', 'production'], production: 'production' };

function deployment(id: string, environment: string, commit: string, at: string, extra: Partial<Deployment> = {}): Deployment {
  return {
    id,
    repo: 'acme/app',
    environment,
    service: null,
    commit,
    artifact: null,
    at,
    actor: 'ci',
    kind: 'deploy',
    status: 'success',
    reason: null,
    url: null,
    approvals: [],
    eventKey: `k-${id}`,
    ...extra,
  };
}

describe('the Lineage Timeline model on a real repository', function () {
  this.timeout(30_000);
  const t = TestRepo.init('acme/app');
  const c: Record<string, string> = {};
  let repo: Repository;
  let input: TimelineInput;

  before(async () => {
    t.write('src/app.js', ['a', 'b', 'c']);
    c.first = t.commit('first');
    t.write('README.md', ['readme']);
    c.docs = t.commit('docs only');
    t.write('src/app.js', ['a', 'B', 'c']);
    c.second = t.commit('second');
    t.git(['revert', '--no-edit', 'HEAD']);
    c.revert = t.head();
    t.move('src/app.js', 'lib/app.js');
    c.rename = t.commit('move to lib');
    t.write('lib/app.js', ['a', 'b', 'c', 'd']);
    c.fourth = t.commit('fourth');
    // A branch with its own version of the file, never merged.
    t.git(['checkout', '-q', '-b', 'side']);
    t.write('lib/app.js', ['side']);
    c.side = t.commit('side version');
    t.git(['checkout', '-q', 'main']);
    repo = await Repository.open(t.dir);
    const history = await fileHistory(repo, 'lib/app.js');
    const deployments = [
      deployment('d1', 'production', c.first, '2026-03-02T00:00:00Z'),
      deployment('d2', 'production', c.docs, '2026-03-02T01:00:00Z'),
      deployment('d3', 'production', c.second, '2026-03-02T02:00:00Z'),
      deployment('d4', 'production', c.revert, '2026-03-02T03:00:00Z'),
      deployment('d5', 'production', c.second, '2026-03-02T04:00:00Z', { kind: 'rollback' }),
      deployment('d6', 'staging', c.fourth, '2026-03-02T05:00:00Z'),
      deployment('d7', 'staging', 'f'.repeat(40), '2026-03-02T06:00:00Z'),
      deployment('d8', 'dev', c.side, '2026-03-02T07:00:00Z'),
      deployment('d9', 'dev', c.fourth, '2026-03-02T08:00:00Z', { status: 'failure' }),
    ];
    const finding: Finding = {
      id: 'f1',
      repo: 'acme/app',
      kind: 'error',
      severity: 'high',
      title: 'TypeError',
      status: 'open',
      environment: 'production',
      service: null,
      artifact: null,
      commit: c.revert,
      release: null,
      ruleId: null,
      tool: null,
      url: null,
      detectedAt: '2026-03-02T03:30:00Z',
      detail: null,
      locations: [{ path: 'lib/app.js', line: 2, endLine: null, column: null, revision: c.revert }],
      eventKey: 'k-f1',
    };
    const pr: CommitLineage['pullRequests'][number] = {
      repo: 'acme/app',
      number: 7,
      title: 'fourth',
      url: 'https://github.com/acme/app/pull/7',
      author: 'dev',
      state: 'merged',
      headSha: c.fourth,
      headRef: 'f',
      baseRef: 'main',
      mergeCommit: c.fourth,
      mergedAt: '2026-03-02T04:30:00Z',
      updatedAt: null,
      commits: [c.rename, c.fourth],
      eventKey: 'k-pr',
      reviews: [
        { id: 'r1', pullRequest: 7, reviewer: 'early', state: 'approved', commit: c.rename, at: '2026-03-02T04:10:00Z', eventKey: 'k-r1' },
        { id: 'r2', pullRequest: 7, reviewer: 'late', state: 'approved', commit: c.fourth, at: '2026-03-02T04:20:00Z', eventKey: 'k-r2' },
      ],
    };
    const lineage = new Map<string, CommitLineage>(
      [c.rename, c.fourth].map((sha) => [
        sha,
        { sha, commit: null, pullRequests: [pr], builds: [], artifacts: [], attestations: [], deployments: [] },
      ]),
    );
    input = {
      path: 'lib/app.js',
      repo: 'acme/app',
      history,
      deployments,
      versions: await versionsAt(
        repo,
        deployments.map((d) => d.commit!),
        await repo.historicalNames('lib/app.js'),
      ),
      findings: [finding],
      lineage,
      environments: ['production', 'staging', 'dev'],
      policy,
    };
  });
  after(() => t.dispose());

  it("lists the file's commits across its rename, each with the version it left", async () => {
    const history = await fileHistory(repo, 'lib/app.js');
    assert.deepEqual(
      history.map((h) => h.sha),
      [c.fourth, c.rename, c.revert, c.second, c.first],
    );
    assert.equal(history.find((h) => h.sha === c.first)!.path, 'src/app.js');
    assert.equal(
      history.find((h) => h.sha === c.revert)!.blob,
      history.find((h) => h.sha === c.first)!.blob,
      'the revert left the first version again',
    );
  });

  it('joins each deployment to the version of the file its commit holds', () => {
    const model = buildTimeline(input);
    const shipped = (id: string) => model.joins.find((j) => j.kind === 'shipped' && j.from.endsWith(`:${id}`))?.to;
    assert.equal(shipped('d1'), `commit:${c.first}`);
    assert.equal(shipped('d2'), `commit:${c.first}`, 'a commit that did not touch the file runs the version before it');
    assert.equal(shipped('d3'), `commit:${c.second}`);
    assert.equal(shipped('d4'), `commit:${c.revert}`, 'the revert, not the older commit with the same text');
    assert.equal(shipped('d5'), `commit:${c.second}`, 'a rollback to an older commit runs that version');
    assert.equal(shipped('d6'), `commit:${c.fourth}`);
    assert.equal(shipped('d7'), undefined, 'a commit missing from the clone is not guessed');
    assert.equal(shipped('d8'), undefined, "another branch's version is not joined to this branch's history");
    const item = (id: string) => model.items.find((i) => i.kind === 'deployment' && i.id === id)!;
    assert.ok(item('d7').details.some((d) => /not in this clone/.test(d)));
    assert.ok(item('d8').details.some((d) => /not on this branch/.test(d)));
    assert.ok(item('d7').marks.includes('unjoined'));
    assert.ok(item('d5').marks.includes('rollback'));
    assert.ok(item('d5').marks.includes('current'));
    assert.ok(item('d9').marks.includes('failed'));
    assert.ok(!item('d9').marks.includes('current'), 'a failed deployment does not run');
  });

  it('orders lanes by promotion and marks stale approvals', () => {
    const model = buildTimeline(input);
    assert.deepEqual(
      model.lanes.map((l) => l.id),
      ['history', 'env:dev', 'env:staging', 'env:production'],
    );
    const approvals = model.items.filter((i) => i.kind === 'approval');
    assert.deepEqual(approvals.find((a) => a.id === 'r1')!.marks, ['stale']);
    assert.deepEqual(approvals.find((a) => a.id === 'r2')!.marks, []);
    assert.ok(model.joins.some((j) => j.from === `commit:${c.fourth}` && j.to === 'pull_request:7'));
  });

  it('joins a finding to the deployment that ran when it was first seen', () => {
    const model = buildTimeline(input);
    const join = model.joins.find((j) => j.from === 'finding:f1');
    assert.equal(join?.to, 'deployment:production:d4');
    assert.equal(model.items.find((i) => i.key === 'finding:f1')!.lane, 'env:production');
  });

  it('marks the commits that changed the selected lines (git log -L)', async () => {
    const commits = await lineRangeHistory(repo, 'lib/app.js', 2, 2);
    assert.ok(commits.includes(c.second!) && commits.includes(c.revert!));
    assert.ok(!commits.includes(c.fourth!), 'the fourth commit only added line 4');
    const model = buildTimeline({ ...input, focus: { start: 2, end: 2, commits } });
    assert.deepEqual(
      model.items.filter((i) => i.marks.includes('focus')).map((i) => i.id),
      input.history
        .filter((h) => commits.includes(h.sha))
        .map((h) => h.sha)
        .reverse(),
    );
  });

  it('aggregates items too close to tell apart, and accounts for every one', () => {
    const layout = new TimelineLayout(buildTimeline(input));
    const narrow = layout.frame(layout.fullView(200));
    const wide = layout.frame(layout.fullView(20_000));
    const count = (f: typeof narrow) => f.glyphs.reduce((n, g) => n + g.items.length, 0);
    assert.equal(count(narrow), layout.model.items.length);
    assert.equal(count(wide), layout.model.items.length);
    assert.ok(narrow.glyphs.length < wide.glyphs.length);
    assert.ok(
      wide.glyphs.every((g) => g.items.length === 1),
      'room for every item: none aggregated',
    );
  });
});

describe('pictures as SVG', () => {
  const hostile = `</text><script>alert(1)</script><a href="javascript:x">&amp;"'`;

  it('escapes every text and attribute value, and refuses element and attribute names not from code', () => {
    const xml = toXml(el('g', { 'aria-label': hostile }, [el('text', {}, [hostile])]));
    assert.doesNotMatch(xml, /<script|<a |<\/text><script/);
    assert.ok(xml.includes('&lt;/text&gt;&lt;script&gt;'));
    assert.ok(
      xml.includes(
        'aria-label="&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&quot;javascript:x&quot;&gt;&amp;amp;&quot;&#39;"',
      ),
    );
    assert.throws(() => toXml(el('script onload=x', {})), /not an element name/);
    assert.throws(() => toXml(el('g', { 'onload="x"': 1 })), /not an attribute name/);
    assert.equal(toXml(el('text', {}, ['a\u0000b\u001bc'])), '<text>abc</text>', 'control characters are dropped');
  });

  it('keeps hostile strings of the evidence as text in the standalone SVG and HTML', () => {
    const e: Evidence = {
      subject: { kind: 'deployment', id: hostile, commit: null },
      repo: 'acme/app',
      items: [
        { kind: 'commit', id: 'a'.repeat(40), summary: hostile, at: null, eventKey: null, audit: null },
        {
          kind: 'deployment',
          id: hostile,
          summary: hostile,
          at: null,
          eventKey: 'k',
          audit: { seq: 3, hash: 'h'.repeat(64) },
          from: [`commit:${'a'.repeat(40)}`],
        },
      ],
      audit: { ok: true, entries: 3, head: 'h', brokenAt: null, reason: null, checkpoint: null, differences: [] },
    };
    for (const doc of [evidenceSvg(e), evidenceHtml(e)]) {
      assert.doesNotMatch(doc, /<script|<a |javascript:x"/);
      assert.ok(doc.includes('&lt;script&gt;'));
    }
  });

  it('marks a chain whose audit log is broken, on the banner and every link', () => {
    const e: Evidence = {
      subject: { kind: 'line', path: 'a.js', line: 1, commit: 'a'.repeat(40) },
      repo: 'acme/app',
      items: [
        { kind: 'commit', id: 'a'.repeat(40), summary: 'x', at: null, eventKey: null, audit: null },
        {
          kind: 'build',
          id: 'b1',
          summary: 'ci',
          at: null,
          eventKey: 'kb',
          audit: { seq: 1, hash: 'h' },
          from: [`commit:${'a'.repeat(40)}`],
          check: { state: 'verified', text: 'passed' },
        },
        { kind: 'deployment', id: 'd1', summary: 'deploy', at: null, eventKey: 'kd', audit: null, from: ['build:b1'] },
      ],
      audit: { ok: false, entries: 2, head: 'h', brokenAt: 2, reason: 'entry 2 was changed', checkpoint: null, differences: [] },
    };
    const graph = chainGraph(e);
    assert.equal(graph.verdict.intact, false);
    assert.match(graph.verdict.text, /broken at entry 2/);
    assert.equal(graph.edges.length, 2);
    assert.ok(graph.edges.every((x) => x.broken));
    assert.ok(graph.nodes.every((n) => (n.audit.broken || n.item.kind === 'commit' ? true : false)));
    const ok = chainGraph({ ...e, audit: { ...e.audit!, ok: true, brokenAt: null, reason: null } });
    assert.equal(ok.edges.find((x) => x.to === 'build:b1')!.broken, false);
    assert.equal(
      ok.edges.find((x) => x.to === 'deployment:d1')!.broken,
      true,
      'a deployment whose event is not in the audit log breaks its link',
    );
  });

  it('draws each item as a labelled button in the timeline SVG', () => {
    const frame = {
      view: { from: 0, to: 10, width: 400 },
      height: 100,
      lanes: [{ id: 'history', kind: 'history' as const, label: 'a.js', y: 40, count: 1 }],
      glyphs: [
        {
          key: 'commit:x',
          kind: 'commit' as const,
          lane: 'history',
          x: 200,
          y: 40,
          items: [
            {
              key: 'commit:x',
              kind: 'commit' as const,
              id: 'x',
              lane: 'history',
              at: 5,
              label: hostile,
              details: [hostile],
              marks: [],
              target: { kind: 'url' as const, url: null },
            },
          ],
          marks: [],
        },
      ],
      joins: [],
      ticks: [],
    };
    const xml = toXml(timelineNode(frame, { titles: true, title: 'x' }));
    assert.match(
      xml,
      /<g class="item commit" transform="translate\(200 40\)" data-key="commit:x" data-kind="commit" data-lane="history" data-count="1" role="button" tabindex="-1" aria-label="&lt;\/text&gt;/,
    );
    assert.doesNotMatch(xml, /<script/);
  });

  it("draws a GitHub or git line's chain from its lineage, each link checked, said to be unaudited", () => {
    const sha = 'c'.repeat(40);
    const file = {
      path: 'a.js',
      repo: 'acme/app',
      source: 'github',
      lines: [
        {
          line: 1,
          text: 'x',
          commit: { sha, author: 'dev', authorMail: 'd@x', time: '2026-03-01T00:00:00Z', summary: 'change' },
          pullRequest: { number: 7, title: 'Harden', url: null, state: 'merged', author: 'bob' },
          approvals: [
            { reviewer: 'alice', state: 'approved', commit: 'a'.repeat(40), stale: true, verified: true },
            { reviewer: 'carol', state: 'approved', commit: sha, stale: false, verified: true },
          ],
          checks: [{ name: 'ci', kind: 'workflow', status: 'completed', conclusion: 'failure', at: null, url: null }],
          environments: [
            {
              name: 'staging',
              live: true,
              since: { deploymentId: '12', at: '2026-03-02T00:00:00Z', actor: 'bot', artifact: null, approvedBy: ['erin'] },
            },
            { name: 'production', live: false, since: null },
          ],
          findings: [
            {
              id: 'f9',
              severity: 'high',
              title: 'XSS',
              kind: 'vulnerability',
              status: 'open',
              environment: 'staging',
              url: null,
              revision: sha,
              otherLocations: [],
            },
          ],
        },
      ],
    } as unknown as FileLineage;
    const chain = lineChain(file, file.lines[0]!, 'N')!;
    const graph = chainGraph(chain, 'GitHub');
    assert.equal(graph.verdict.state, 'unaudited');
    assert.equal(graph.verdict.text, 'No audit log: the chain as GitHub says it now');
    const check = (ref: string) => graph.nodes.find((n) => n.ref.startsWith(ref))?.check?.state;
    assert.equal(check('review:7-1-alice'), 'failed');
    assert.equal(check('review:7-2-carol'), 'verified');
    assert.equal(check('build:'), 'failed');
    assert.equal(check(`commit:${sha}`), 'none');
    assert.ok(
      graph.nodes.some((n) => n.ref === 'deployment:12'),
      'the deployment the line is live in',
    );
    assert.ok(!graph.nodes.some((n) => n.item.summary.includes('production')), 'not where it is not live');
    assert.ok(
      graph.edges.some((e) => e.from === 'deployment:12' && e.to === 'finding:f9'),
      'the finding follows from what runs in its environment',
    );
    assert.ok(graph.edges.some((e) => e.from === 'deployment:12' && e.to === 'approval:12:erin'));
    assert.ok(
      graph.edges.every((e) => !e.broken),
      'unaudited is not broken',
    );
    assert.ok(graph.nodes.every((n) => n.audit.text === 'from GitHub, not audited'));
  });
});
