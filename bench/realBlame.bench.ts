/**
 * `npm run bench:real -- --repo DIR [--repo DIR …]`: blame on real, long-lived repositories, as
 * ratios to raw git measured in the same run.
 *
 * For each repository it picks the files of 100–4,000 lines touched by 50–500 commits (the most
 * touched first, --files per repository) and measures, interleaved so that noise falls on all
 * alike:
 *
 * - raw `git blame --porcelain` of the file, and an empty `node -e 0`: the CLI's floor is their sum;
 * - `lineage blame --json --source git` (the built CLI, a new process each time);
 * - the engine in a warm process (the editor's case): a session's full-file lineage, no cache;
 * - `lineage --version`: start-up alone.
 *
 * Repositories come from --repo or LINEAGE_BENCH_REPOS (colon-separated); none are downloaded.
 *   --files N (default 6)   --runs N (default 5)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Repository } from '../src/core/git/repository';
import { LineageSession } from '../src/core/session/lineageSession';

const { values } = parseArgs({
  options: { repo: { type: 'string', multiple: true }, files: { type: 'string' }, runs: { type: 'string' } },
});
const repos = values.repo ?? (process.env.LINEAGE_BENCH_REPOS ?? '').split(':').filter(Boolean);
const filesPerRepo = Number(values.files ?? 6);
const runs = Number(values.runs ?? 5);
const cli = join(__dirname, '../dist/cli.js');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(command: string, args: string[], cwd: string): number {
  const t = performance.now();
  const r = spawnSync(command, args, { cwd, maxBuffer: 1 << 30, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${cwd}: ${r.stderr.toString().slice(0, 400)}`);
  return ms;
}

function git(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The files of 100–4,000 lines touched by 50–500 commits, most touched first. */
function pickFiles(dir: string): { path: string; lines: number; commits: number }[] {
  const touches = new Map<string, number>();
  for (const line of git(dir, ['log', '--format=', '--name-only', '--no-renames', 'HEAD']).split('\n')) {
    if (line) touches.set(line, (touches.get(line) ?? 0) + 1);
  }
  const tracked = new Set(git(dir, ['ls-files', '-z']).split('\0'));
  const picked: { path: string; lines: number; commits: number }[] = [];
  for (const [path, commits] of [...touches].sort((a, b) => b[1] - a[1])) {
    if (picked.length >= filesPerRepo) break;
    if (!tracked.has(path) || commits < 50 || commits > 500) continue;
    const text = git(dir, ['cat-file', 'blob', `HEAD:${path}`]);
    if (text.includes('\0')) continue;
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines >= 100 && lines <= 4000) picked.push({ path, lines, commits });
  }
  return picked;
}

async function main(): Promise<void> {
  if (repos.length === 0) {
    console.log('bench:real: no repositories given (--repo DIR or LINEAGE_BENCH_REPOS=dir:dir); nothing measured');
    return;
  }
  const session = new LineageSession(
    { source: 'git', apiUrl: null, githubUrl: null, detectMoves: false },
    { apiToken: async () => null, githubToken: async () => null, githubTokenHelp: '' },
  );
  const nodeEmpty: number[] = [];
  const startUp: number[] = [];
  const cliRatios: number[] = [];
  const engineRatios: number[] = [];
  console.log(
    'repository                file                                   lines commits   git ms  cli ms  cli/floor  engine ms  engine/git',
  );
  for (const dir of repos) {
    const name = dir.replace(/\/+$/, '').split('/').pop()!;
    const head = git(dir, ['rev-parse', '--short=12', 'HEAD']).trim();
    const repo = await Repository.open(dir);
    for (const file of pickFiles(dir)) {
      const raw: number[] = [];
      const viaCli: number[] = [];
      const engine: number[] = [];
      await session.lineage({ repo, path: file.path, slug: null }); // warm the process, not git's answer
      for (let i = 0; i < runs; i++) {
        raw.push(timed('git', ['blame', '--porcelain', '--', file.path], dir));
        nodeEmpty.push(timed(process.execPath, ['-e', '0'], dir));
        viaCli.push(timed(process.execPath, [cli, 'blame', '--json', '--source', 'git', file.path], dir));
        startUp.push(timed(process.execPath, [cli, '--version'], dir));
        const t = performance.now();
        const answer = await session.lineage({ repo, path: file.path, slug: null });
        engine.push(performance.now() - t);
        if (answer.file.lines.length !== file.lines)
          throw new Error(`${file.path}: ${answer.file.lines.length} lines, expected ${file.lines}`);
      }
      const floor = median(raw) + median(nodeEmpty);
      cliRatios.push(median(viaCli) / floor);
      engineRatios.push(median(engine) / median(raw));
      console.log(
        `${`${name}@${head}`.padEnd(25)} ${file.path.slice(-38).padEnd(38)} ${String(file.lines).padStart(5)} ${String(file.commits).padStart(7)} ${median(raw).toFixed(0).padStart(8)} ${median(viaCli).toFixed(0).padStart(7)} ${(median(viaCli) / floor).toFixed(2).padStart(9)}x ${median(engine).toFixed(0).padStart(10)} ${(median(engine) / median(raw)).toFixed(2).padStart(10)}x`,
      );
    }
  }
  await session.close();
  console.log(`\nnode -e 0                        median ${median(nodeEmpty).toFixed(0)} ms`);
  console.log(`lineage --version (start-up)     median ${median(startUp).toFixed(0)} ms`);
  console.log(`CLI blame / (git blame + node)   median ${median(cliRatios).toFixed(2)}x over ${cliRatios.length} files (goal <= 1.3x)`);
  console.log(
    `engine / git blame, warm process median ${median(engineRatios).toFixed(2)}x over ${engineRatios.length} files (goal <= 1.15x)`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
