/**
 * `npm run bench:timeline [-- --repo DIR:PATH ...]`: how fast the Lineage Timeline opens and pans.
 *
 * Opening is what the panel waits for before its first frame: the session's timeline (git's
 * history of the file, the versions at every deployed commit, each environment's deployments,
 * the file's findings and the newest commits' pull requests, from the real service over HTTP),
 * then the first frame laid out and drawn as the SVG tree the page builds its DOM from. It is
 * reported beside raw `git log --follow` of the same file in the same run.
 *
 * Panning is one frame per step: the layout of the window in view and its SVG tree, at the whole
 * history, a tenth of it and a hundredth, 120 steps each (p50 and p95; a frame has 16 ms).
 *
 * Files: a generated file with 2,000 commits and 200 deployments (dev, staging, production, with
 * rollbacks and hotfixes), and real files given as DIR:PATH, whose deployments are the
 * repository's own release tags (production at the tag's date, staging a day before).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Repository } from '../src/core/git/repository';
import { toXml } from '../src/core/picture/svgTree';
import { TimelineLayout } from '../src/core/picture/timelineLayout';
import { timelineNode } from '../src/core/picture/timelineSvg';
import { LineageSession } from '../src/core/session/lineageSession';
import { ApiClient } from '../src/core/sources/apiClient';
import { startService } from '../src/server/service';
import { generateRepository } from './generatedRepo';

const { values } = parseArgs({ options: { repo: { type: 'string', multiple: true }, runs: { type: 'string' } } });
const runs = Number(values.runs ?? 5);
const policy = { order: ['dev', 'staging', 'production'], production: 'production' };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;

interface Subject {
  name: string;
  dir: string;
  path: string;
  slug: string;
  events: unknown[];
}

function generated(root: string): Subject {
  const dir = join(root, 'generated');
  const shas = generateRepository(dir, { commits: 2000, lines: 1500, path: 'src/service.js' });
  const at = (i: number) => new Date(Date.parse('2025-01-01T00:00:00Z') + (i + 1) * 3600_000).toISOString();
  const events: unknown[] = [];
  // 200 deployments: every 20th commit to dev, staging and (every other) production, some rolled back or hotfixed.
  let n = 0;
  const deploy = (environment: string, commit: string | undefined, when: string, actor: string, kind: string) =>
    events.push({
      type: 'deployment',
      id: `d-${++n}`,
      repo: 'acme/bench',
      deploymentId: `${n}`,
      environment,
      commit,
      at: when,
      actor,
      kind,
      status: 'success',
    });
  for (let i = 19; i < shas.length && n < 200; i += 20) {
    for (const [env, delay] of [
      ['dev', 1],
      ['staging', 3],
      ['production', 6],
    ] as const) {
      if (env === 'production' && i % 40 !== 39) continue;
      if (n >= 200) break;
      deploy(env, shas[i], at(i + delay), 'ci-bot', env === 'production' && i % 200 === 199 ? 'hotfix' : 'deploy');
      if (env === 'production' && i % 160 === 159 && n < 200) deploy(env, shas[i - 40], at(i + delay + 1), 'oncall', 'rollback');
    }
  }
  // Pull requests and approvals of the newest 300 commits, three commits each; findings on 20 production deployments.
  for (let i = shas.length - 300; i < shas.length; i += 3) {
    const number = 10_000 + i;
    const commits = shas.slice(i, i + 3);
    events.push({
      type: 'pull_request',
      id: `pr-${number}`,
      repo: 'acme/bench',
      number,
      title: `change ${i}`,
      url: `https://github.com/acme/bench/pull/${number}`,
      author: 'dev',
      state: 'merged',
      headSha: commits[commits.length - 1],
      headRef: `b${i}`,
      baseRef: 'main',
      mergeCommit: commits[commits.length - 1],
      mergedAt: at(i + 3),
      updatedAt: at(i + 3),
      commits,
    });
    events.push({
      type: 'review',
      id: `r-${number}`,
      repo: 'acme/bench',
      reviewId: `${number}`,
      pullRequest: number,
      reviewer: 'lead',
      state: 'approved',
      commit: commits[i % 2 ? 0 : commits.length - 1],
      at: at(i + 2),
    });
  }
  for (let k = 0; k < 20; k++) {
    const i = 79 + k * 80;
    events.push({
      type: 'finding',
      id: `f-${k}`,
      repo: 'acme/bench',
      findingId: `f${k}`,
      kind: 'error',
      severity: 'high',
      title: `Error ${k}`,
      status: 'open',
      environment: 'production',
      commit: shas[i],
      detectedAt: at(i + 8),
      locations: [{ path: 'src/service.js', line: 10 + k, revision: shas[i] }],
    });
  }
  return { name: 'generated (2,000 commits, 200 deployments)', dir, path: 'src/service.js', slug: 'acme/bench', events };
}

/** A real file, its deployments the repository's release tags. */
function real(spec: string): Subject {
  const split = spec.lastIndexOf(':');
  const dir = spec.slice(0, split);
  const path = spec.slice(split + 1);
  const slug = `real/${dir.split('/').pop()}`;
  const tags = execFileSync(
    'git',
    ['-C', dir, 'for-each-ref', '--format=%(refname:short) %(*objectname)%(objectname) %(creatordate:iso-strict)', 'refs/tags'],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .filter((p) => p.length === 3);
  const events: unknown[] = [];
  let n = 0;
  for (const [, object, date] of tags.slice(-200)) {
    // %(*objectname) is the tagged commit of an annotated tag, empty for a lightweight one: the second half is the tag.
    const commit = object!.slice(0, 40);
    for (const [env, before] of [
      ['staging', 86_400_000],
      ['production', 0],
    ] as const)
      events.push({
        type: 'deployment',
        id: `${slug}-t-${++n}`,
        repo: slug,
        deploymentId: `${slug}-${n}`,
        environment: env,
        commit,
        at: new Date(Date.parse(date!) - before).toISOString(),
        actor: 'release',
        kind: 'deploy',
        status: 'success',
      });
  }
  return { name: `${dir.split('/').pop()} ${path}`, dir, path, slug, events };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'lineage-timeline-bench-'));
  const service = await startService({ port: 0, dataDir: join(root, 'data') });
  const client = new ApiClient({ baseUrl: service.url, timeoutMs: 60_000 });
  const rows: string[] = [];
  try {
    const subjects = [generated(root), ...(values.repo ?? []).map(real)];
    for (const s of subjects) {
      for (let i = 0; i < s.events.length; i += 500) await client.ingest('events', JSON.stringify(s.events.slice(i, i + 500)));
      const open: number[] = [];
      const gitLog: number[] = [];
      let items = 0;
      let commits = 0;
      let deployments = 0;
      let glyphs = 0;
      for (let r = 0; r < runs; r++) {
        let t = performance.now();
        execFileSync('git', ['-C', s.dir, 'log', '--follow', '--raw', '--no-abbrev', '--format=%H %P %an %aI %cI %s', '--', s.path], {
          maxBuffer: 1 << 28,
        });
        gitLog.push(performance.now() - t);
        // A new session and repository each run: nothing cached but the service's own warm store.
        const session = new LineageSession(
          { source: 'service', apiUrl: service.url, githubUrl: null, detectMoves: false },
          { apiToken: async () => null, githubToken: async () => null, githubTokenHelp: '' },
        );
        t = performance.now();
        const repo = await Repository.open(s.dir);
        const { model, notices } = await session.timeline({ repo, path: s.path, slug: s.slug, policy });
        const layout = new TimelineLayout(model);
        const frame = layout.frame(layout.fullView(1000));
        const svg = timelineNode(frame, { titles: false, title: 'bench' });
        open.push(performance.now() - t);
        if (notices.length) throw new Error(notices.join('; '));
        items = model.items.length;
        commits = model.items.filter((i) => i.kind === 'commit').length;
        deployments = model.items.filter((i) => i.kind === 'deployment').length;
        glyphs = frame.glyphs.length;
        void toXml(svg);
        await session.close();
      }
      // Panning: 120 steps at each zoom.
      const session = new LineageSession(
        { source: 'service', apiUrl: service.url, githubUrl: null, detectMoves: false },
        { apiToken: async () => null, githubToken: async () => null, githubTokenHelp: '' },
      );
      const { model } = await session.timeline({ repo: await Repository.open(s.dir), path: s.path, slug: s.slug, policy });
      await session.close();
      // Each deployment's join checked against git: the newest commit changing the file in the
      // deployed commit's history, where that commit is on the drawn history at all.
      const history = new Set(model.items.filter((i) => i.kind === 'commit').map((i) => i.id));
      let agree = 0;
      let differ = 0;
      let offBranch = 0;
      const truthOf = new Map<string, string>();
      for (const d of model.items.filter((i) => i.kind === 'deployment')) {
        const commit = /commit ([0-9a-f]{12})/.exec(d.details.join(' '))?.[1];
        if (!commit) continue;
        const joined = model.joins.find((j) => j.from === d.key && j.kind === 'shipped')?.to.slice('commit:'.length) ?? null;
        let truth = truthOf.get(commit);
        if (truth === undefined) {
          truth = execFileSync(
            'git',
            ['-C', s.dir, 'log', '-1', '--format=%H', commit, '--', ...(await (await Repository.open(s.dir)).historicalNames(s.path))],
            {
              encoding: 'utf8',
            },
          ).trim();
          truthOf.set(commit, truth);
        }
        if (!history.has(truth)) offBranch++;
        else if (truth === joined) agree++;
        else differ++;
      }
      const layout = new TimelineLayout(model);
      const full = layout.fullView(1000);
      const pans: string[] = [];
      for (const zoom of [1, 10, 100]) {
        const span = (full.to - full.from) / zoom;
        const frames: number[] = [];
        let drawn = 0;
        for (let step = 0; step < 120; step++) {
          const from = full.from + ((full.to - full.from - span) * step) / 119;
          const t = performance.now();
          const frame = layout.frame({ from, to: from + span, width: 1000 });
          timelineNode(frame, { titles: false, title: 'bench' });
          frames.push(performance.now() - t);
          drawn = Math.max(drawn, frame.glyphs.length);
        }
        pans.push(`1/${zoom}: p50 ${median(frames).toFixed(2)} ms, p95 ${p95(frames).toFixed(2)} ms (≤${drawn} shapes)`);
      }
      rows.push(
        [
          `${s.name}: ${commits} commits, ${deployments} deployments, ${items} items`,
          `  open (git + service + first frame): median ${median(open).toFixed(0)} ms (goal < 300 ms); raw git log --follow ${median(gitLog).toFixed(0)} ms, ratio ${(median(open) / median(gitLog)).toFixed(2)}×; first frame ${glyphs} shapes`,
          `  pan frames: ${pans.join('; ')}`,
          `  joins as git says: ${agree} agree, ${differ} differ, ${offBranch} deployed a version from a branch not in HEAD's history of the file`,
        ].join('\n'),
      );
      console.log(rows[rows.length - 1]);
    }
  } finally {
    await client.close();
    await service.close();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
