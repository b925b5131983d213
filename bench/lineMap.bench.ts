/**
 * `npm run bench:linemap`: line maps on real code rewritten the ways real code is. The text is
 * the first 10,000 lines of TypeScript's own compiler (`node_modules/typescript/lib/typescript.js`,
 * a real program), and each case is a rewrite a project goes through: re-formatted by Prettier at
 * another width with tabs, every line touched, the second half moved above the first, a quarter of
 * the lines edited with blocks inserted and deleted. The baseline, measured in the same run, is
 * git's own diff of the same two files (`git diff --no-index`, xdiff's Myers with its heuristics):
 * process start-up included, so the ratio is an upper bound on git.
 *   --runs N (default 5; the median is reported)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { mapLines, splitLines } from '../src/core/linemap/lineMap';

const { values } = parseArgs({ options: { runs: { type: 'string' } } });
const runs = Number(values.runs ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const source = readFileSync(require.resolve('typescript/lib/typescript.js'), 'utf8');
  const original = splitLines(source).slice(0, 10_000);
  const text = `${original.join('\n')}\n`;
  // Prettier needs a parseable program: format the whole file, then keep its first 10,000 lines' worth.
  const reformatted = splitLines(await prettier.format(source, { parser: 'babel', printWidth: 60, useTabs: true })).slice(0, 12_000);
  const moved = [...original.slice(5_000), ...original.slice(0, 5_000)];
  const edited = original.map((l, i) => (i % 4 === 0 ? `${l} /* edited */` : l));
  edited.splice(6_000, 400);
  edited.splice(2_000, 0, ...Array.from({ length: 600 }, (_, i) => `  inserted(${i});`));
  const cases: [string, string[]][] = [
    ['re-formatted by Prettier (width 60, tabs)', reformatted],
    ['every line touched', original.map((l) => `${l} `)],
    ['second half moved above the first', moved],
    ['a quarter edited, 600 inserted, 400 deleted', edited],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'lineage-linemap-'));
  try {
    writeFileSync(join(dir, 'from'), text);
    console.log(`line maps on ${original.length} lines of typescript.js, median of ${runs}`);
    console.log('case                                          | lines       | matched | ms     | peak MB | git diff ms | ratio');
    for (const [name, to] of cases) {
      writeFileSync(join(dir, 'to'), `${to.join('\n')}\n`);
      const times: number[] = [];
      const gitTimes: number[] = [];
      let matched = 0;
      let peak = 0;
      for (let r = 0; r < runs; r++) {
        global.gc?.();
        const before = process.memoryUsage();
        const t0 = performance.now();
        const map = mapLines(original, to);
        times.push(performance.now() - t0);
        const after = process.memoryUsage();
        peak = Math.max(peak, (after.rss - before.rss + after.heapUsed - before.heapUsed) / 2 / 1e6);
        matched = map.toFrom.reduce((n, f) => n + (f >= 0 ? 1 : 0), 0);
        const g0 = performance.now();
        spawnSync('git', ['diff', '--no-index', '--no-color', '--stat', join(dir, 'from'), join(dir, 'to')]);
        gitTimes.push(performance.now() - g0);
      }
      const [ms, gitMs] = [median(times), median(gitTimes)];
      console.log(
        `${name.padEnd(45)} | ${`${original.length}→${to.length}`.padEnd(11)} | ${String(matched).padStart(7)} | ${ms.toFixed(1).padStart(6)} | ${Math.max(0, peak).toFixed(1).padStart(7)} | ${gitMs.toFixed(1).padStart(11)} | ${(ms / gitMs).toFixed(2)}×`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
