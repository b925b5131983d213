/**
 * `npm run bench:blame`: full-file lineage of a file with a long history, cold, as a ratio to raw
 * `git blame --porcelain` of the same file measured in the same run; and the warm per-line lookup.
 *
 * The repository is generated deterministically with `git fast-import` (no public repository can
 * be downloaded here): COMMITS commits each editing a few lines of a LINES-line file. Three
 * environments each have 20 deployments in the service (embedded store, real HTTP).
 *   --commits N (default 2000)   --lines N (default 3000)   --runs N (default 7)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Repository } from '../src/core/git/repository';
import { fileLineage } from '../src/core/lineage/fileLineage';
import { LineageSession } from '../src/core/session/lineageSession';
import { ServiceSource } from '../src/core/sources/serviceSource';
import { ApiClient } from '../src/core/sources/apiClient';
import { generateRepository } from './generatedRepo';
import { startService } from './spawnService';

const { values } = parseArgs({ options: { commits: { type: 'string' }, lines: { type: 'string' }, runs: { type: 'string' } } });
const commitCount = Number(values.commits ?? 2000);
const lineCount = Number(values.lines ?? 3000);
const runs = Number(values.runs ?? 7);
const path = 'src/big.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'lineage-blame-bench-'));
  const dir = join(scratch, 'repo');
  try {
    let t = performance.now();
    const shas = generateRepository(dir, { commits: commitCount, lines: lineCount, path });
    console.log(`Generated ${shas.length} commits of a ${lineCount}-line file in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const service = await startService({ dataDir: join(scratch, 'data') });
    const client = new ApiClient({ baseUrl: service.url });
    const events: object[] = [];
    const envs = [
      ['dev', 1],
      ['staging', 15],
      ['production', 40],
    ] as const;
    for (const [env, lag] of envs) {
      for (let i = 0; i < 20; i++) {
        const index = shas.length - 1 - lag - (19 - i) * 10;
        events.push({
          type: 'deployment',
          id: `${env}-${i}`,
          repo: 'acme/bench',
          deploymentId: `${env}-${i}`,
          environment: env,
          commit: shas[index],
          at: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 86_400_000).toISOString(),
          actor: 'ci-bot',
        });
      }
    }
    await client.ingest('events', JSON.stringify(events));

    const raw: number[] = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      const r = spawnSync('git', ['blame', '--porcelain', '--', path], { cwd: dir, maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(r.stderr.toString());
      raw.push(performance.now() - t);
    }
    const cold: number[] = [];
    let lines = 0;
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      const repo = await Repository.open(dir);
      const fresh = new ApiClient({ baseUrl: service.url });
      const report = await fileLineage({ repo, path, slug: 'acme/bench', source: new ServiceSource(fresh) });
      cold.push(performance.now() - t);
      lines = report.lines.length;
      await fresh.close();
    }
    const moves: number[] = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      t = performance.now();
      const repo = await Repository.open(dir);
      await fileLineage({ repo, path, slug: 'acme/bench', source: new ServiceSource(client), detectMoves: true });
      moves.push(performance.now() - t);
    }
    if (process.env.LINEAGE_BENCH_PROFILE) {
      const probe = new ServiceSource(client);
      const blameCommits = [...new Set(shas.slice(-300))];
      for (const [label, fn] of [
        ['environments', () => probe.environments('acme/bench')],
        ['lineage (300 commits)', () => probe.lineage('acme/bench', blameCommits)],
        ['findings', () => probe.findings('acme/bench', path)],
        ['history x1', () => probe.history('acme/bench', 'production', 20)],
        ['Repository.open', () => Repository.open(dir)],
      ] as const) {
        t = performance.now();
        await (fn as () => Promise<unknown>)();
        console.log(`  ${label}: ${(performance.now() - t).toFixed(1)} ms`);
      }
    }
    const buffer = readFileSync(join(dir, path), 'utf8');
    // The editor's path: one session, asked for a line of the same buffer again and again.
    const session = new LineageSession(
      { source: 'service', apiUrl: service.url, githubUrl: null, detectMoves: false },
      { apiToken: async () => null, githubToken: async () => null, githubTokenHelp: '' },
    );
    const repo = await Repository.open(dir);
    const ask = { repo, path, slug: 'acme/bench', text: buffer };
    await session.lineage(ask);
    const warm: number[] = [];
    for (let i = 0; i < 2000; i++) {
      t = performance.now();
      const answer = await session.lineage(ask);
      if (!answer.file.lines[(i * 7919) % lines]) throw new Error('a line went missing');
      warm.push(performance.now() - t);
    }
    await session.close();
    await client.close();
    await service.close();

    console.log(`\nfile: ${lines} lines, ${shas.length} commits of history, 3 environments x 20 deployments`);
    console.log(`raw git blame --porcelain       median ${median(raw).toFixed(0)} ms`);
    console.log(
      `full-file lineage, cold         median ${median(cold).toFixed(0)} ms  (blame, 3 environments' line maps, since over 60 deployments, one API batch)`,
    );
    console.log(`ratio                           ${(median(cold) / median(raw)).toFixed(2)}x   (goal <= 1.15x)`);
    console.log(
      `with --detect-moves (-M -C)     median ${median(moves).toFixed(0)} ms  (${(median(moves) / median(raw)).toFixed(2)}x; opt-in)`,
    );
    console.log(`warm per-line lookup            p95 ${p95(warm).toFixed(3)} ms   (goal < 5 ms; buffer hash + cached report)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
