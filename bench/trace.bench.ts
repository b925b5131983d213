/**
 * `npm run bench:trace`: top-1 accuracy and time of `trace` on genuine traces.
 *
 * A generated repository holds small programs in each language the machine has (Node and Python;
 * Java when a JDK is installed). At revision R1 each is installed under a container-like path
 * (/app for Node, a site-packages layout for Python, a classes folder for Java) and run until it
 * fails through a recursion about 200 frames deep, giving real traces. The working copy then moves
 * on: lines inserted above, the failing function moved below another, files renamed, some files
 * moved to another directory and then rewritten (git's whole-tree rename detection misses them),
 * some failing lines re-quoted or edited (then the answer is the line they became, marked changed).
 * Each trace must resolve, at R1, to the line where the failing statement (marked) lives now.
 *
 * Go cannot be compiled here, so Go programs' traces are written from their source exactly as Gin's
 * recovery middleware prints a caught panic (`path:line (0xPC)` then `\tfn: source`), every other
 * one passed through syslog (`Mar 14 10:00:01 host app[812]: ` before each line, tabs as `#011`).
 *   --programs N (default 20 per language)   --files N (extra files in the repository, default 0;
 *   100000 gives the 100,000-file repository of the time goal)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Repository } from '../src/core/git/repository';
import { traceFinding } from '../src/core/trace/traceFinding';

const { values } = parseArgs({ options: { programs: { type: 'string' }, files: { type: 'string' } } });
const perLanguage = Number(values.programs ?? 20);
const extraFiles = Number(values.files ?? 0);
const depth = 190;

let seed = 11;
const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
const git = (dir: string, args: string[]) =>
  execFileSync('git', ['-c', 'commit.gpgSign=false', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'b@x' },
  });
const write = (root: string, path: string, lines: string[]) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), `${lines.join('\n')}\n`);
};

interface Program {
  language: 'node' | 'python' | 'java' | 'go';
  marker: string;
  /** Files the working copy changes; `rename` gives a new name for the failing file. */
  failing: string;
  rename: string | null;
  /** Moved to `rename` and then rewritten: most of the file is new, the failing line edited. */
  rewrite?: boolean;
  run(installRoot: string): string;
}

function nodeProgram(repo: string, i: number): Program {
  const marker = `FAIL-node-${i}`;
  const failing = `services/svc${i}/lib/calc.js`;
  write(repo, failing, [
    "'use strict';",
    `function helper${i}(x) {`,
    '  return x * 2;',
    '}',
    `function calc${i}(items) {`,
    `  const total = items.reduce((a, b) => a + b, ${i});`,
    `  if (items.length < 100) throw new RangeError('too few items: ' + total); // ${marker}`,
    '  return total;',
    '}',
    `module.exports = { calc${i}, helper${i} };`,
  ]);
  write(repo, `services/svc${i}/handler.js`, [
    'Error.stackTraceLimit = 300;',
    `const { calc${i} } = require('./lib/calc');`,
    `function deep(n) { if (n === 0) return calc${i}([1, 2, 3]); return deep(n - 1) + 1; }`,
    `deep(${depth});`,
  ]);
  return {
    language: 'node',
    marker,
    failing,
    rename: i % 4 === 0 ? `services/svc${i}/lib/pricing.js` : i % 4 === 2 ? `packages/billing${i}/src/calc.js` : null,
    rewrite: i % 4 === 2,
    run: (root) => spawnSync(process.execPath, [join(root, 'app', `services/svc${i}/handler.js`)], { encoding: 'utf8' }).stderr,
  };
}

function pythonProgram(repo: string, i: number): Program {
  const marker = `FAIL-python-${i}`;
  const failing = `pkg${i}/core/calc.py`;
  write(repo, `pkg${i}/__init__.py`, ['']);
  write(repo, `pkg${i}/core/__init__.py`, ['']);
  write(repo, failing, [
    `def helper_${i}(x):`,
    '    return x * 2',
    '',
    '',
    `def calc_${i}(items):`,
    `    total = sum(items) + ${i}`,
    '    if len(items) < 100:',
    `        raise ValueError("too few items: %d" % total)  # ${marker}`,
    '    return total',
  ]);
  write(repo, `pkg${i}/run.py`, [
    'import sys',
    `from pkg${i}.core.calc import calc_${i}`,
    '',
    'def deep(n):',
    '    if n == 0:',
    `        return calc_${i}([1, 2, 3])`,
    '    return deep(n - 1) + 1',
    '',
    `sys.setrecursionlimit(1000)`,
    `deep(${depth})`,
  ]);
  return {
    language: 'python',
    marker,
    failing,
    rename: i % 4 === 1 ? `pkg${i}/core/compute.py` : null,
    run: (root) =>
      spawnSync('python3', ['-m', `pkg${i}.run`], { cwd: join(root, 'venv/lib/python3.11/site-packages'), encoding: 'utf8' }).stderr,
  };
}

function goProgram(repo: string, i: number): Program {
  const marker = `FAIL-go-${i}`;
  const failing = `cmd/svc${i}/cart.go`;
  const source = [
    `package svc${i}`,
    '',
    'func helper(x int) int {',
    '\treturn x * 2',
    '}',
    '',
    'func Total(items []int) int {',
    `\treturn items[0] / len(items) // ${marker}`,
    '}',
  ];
  write(repo, failing, source);
  write(repo, `cmd/svc${i}/handler.go`, [`package svc${i}`, '', 'func Handle() int {', '\treturn Total(nil)', '}']);
  const syslog = i % 2 === 1;
  return {
    language: 'go',
    marker,
    failing,
    rename: null,
    run: () => {
      const lines = [
        `[Recovery] 2026/03/14 - 10:00:01 panic recovered:`,
        'runtime error: index out of range [0] with length 0',
        '/usr/local/go/src/runtime/panic.go:114 (0x44a1f1)',
        '\tgoPanicIndex: panic(boundsError{x: int64(x), signed: true, y: y, code: boundsIndex})',
        `/build/app/cmd/svc${i}/cart.go:8 (0x8b3c5d)`,
        `\tTotal: return items[0] / len(items) // ${marker}`,
        `/build/app/cmd/svc${i}/handler.go:4 (0x8b3d12)`,
        '\tHandle: return Total(nil)',
        ...Array.from({ length: depth }, (_, k) => [
          `/root/go/pkg/mod/github.com/gin-gonic/gin@v1.9.1/context.go:${174 + (k % 3)} (0x8ad1c9)`,
          '\t(*Context).Next: c.handlers[c.index](c)',
        ]).flat(),
      ];
      return syslog ? lines.map((l) => `Mar 14 10:00:01 web-1 shop[812]: ${l.replace(/\t/g, '#011')}`).join('\n') : lines.join('\n');
    },
  };
}

function javaProgram(repo: string, i: number): Program {
  const marker = `FAIL-java-${i}`;
  const failing = `jvm/src/main/java/com/acme/svc${i}/Calc.java`;
  write(repo, failing, [
    `package com.acme.svc${i};`,
    '',
    'public class Calc {',
    '    static int helper(int x) {',
    '        return x * 2;',
    '    }',
    '    static int ratio(int total, int count) {',
    `        return total / count; // ${marker}`,
    '    }',
    '    static int deep(int n) {',
    '        if (n == 0) return ratio(10, 0);',
    '        return deep(n - 1) + 1;',
    '    }',
    `    public static void main(String[] args) { deep(${depth}); }`,
    '}',
  ]);
  return {
    language: 'java',
    marker,
    failing,
    rename: null,
    run: (root) => spawnSync('java', ['-cp', join(root, 'classes'), `com.acme.svc${i}.Calc`], { encoding: 'utf8' }).stderr,
  };
}

/** The working copy moves on: comment lines inserted at the top, the failing function moved down. */
function moveOn(repo: string, program: Program): void {
  const path = join(repo, program.failing);
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const comment = program.language === 'python' ? '#' : '//';
  if (program.rewrite && program.rename) {
    // Moved first, in a commit of its own, then rewritten: new code around it, the message edited.
    mkdirSync(dirname(join(repo, program.rename)), { recursive: true });
    git(repo, ['mv', program.failing, program.rename]);
    git(repo, ['commit', '-q', '-m', `move ${program.failing}`]);
    const moved = join(repo, program.rename);
    const old = readFileSync(moved, 'utf8').trimEnd().split('\n');
    const fresh = Array.from({ length: 12 }, (_, k) => `function extra${k}(x) { return x + ${k}; } // rewritten`);
    const failingLine = old.find((l) => l.includes(program.marker))!.replace("'too few items: '", "'not enough items: '");
    const rest = old.filter((l) => !l.includes(program.marker) && l !== "'use strict';");
    writeFileSync(moved, `${["'use strict';", ...fresh, ...rest.slice(0, 5), failingLine, ...rest.slice(5)].join('\n')}\n`);
    return;
  }
  const inserted = Array.from({ length: 1 + rand(8) }, (_, k) => `${comment} note ${k}: prices are in cents`);
  let body = lines;
  if (program.language === 'node') {
    // Move helper below calc: the failing function moves up, its lines shift.
    body = [lines[0]!, ...lines.slice(4, 9), ...lines.slice(1, 4), ...lines.slice(9)];
  } else if (program.language === 'python') {
    body = [...lines.slice(4), '', '', ...lines.slice(0, 4)];
    // Every other program: the failing line re-quoted by a formatter, so it is the line it became.
    if (Number(program.marker.split('-').pop()) % 2 === 1) body = body.map((l) => l.replace('"too few items: %d"', "'too few items: %d'"));
  }
  const first = program.language === 'python' ? 0 : 1;
  writeFileSync(path, `${[...body.slice(0, first), ...inserted, ...body.slice(first)].join('\n')}\n`);
  if (program.rename) git(repo, ['mv', program.failing, program.rename]);
}

/** Whether the answer must be marked changed: the failing line itself was edited or re-quoted. */
function changedExpected(program: Program): boolean {
  return Boolean(program.rewrite) || (program.language === 'python' && Number(program.marker.split('-').pop()) % 2 === 1);
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'lineage-trace-bench-'));
  try {
    const repoDir = join(scratch, 'repo');
    mkdirSync(repoDir);
    git(repoDir, ['init', '-q', '-b', 'main']);
    const hasPython = spawnSync('python3', ['--version']).status === 0;
    const hasJava = spawnSync('javac', ['-version']).status === 0;
    const programs: Program[] = [];
    for (let i = 0; i < perLanguage; i++) {
      programs.push(nodeProgram(repoDir, i));
      if (hasPython) programs.push(pythonProgram(repoDir, i));
      if (hasJava) programs.push(javaProgram(repoDir, i));
      programs.push(goProgram(repoDir, i));
    }
    // The rest of a large repository: files the path index must sift through.
    for (let f = 0; f < extraFiles; f++) write(repoDir, `vendor/pad${Math.floor(f / 1000)}/file${f}.js`, [`module.exports = ${f};`]);
    git(repoDir, ['add', '-A']);
    git(repoDir, ['commit', '-q', '-m', 'R1']);
    const r1 = git(repoDir, ['rev-parse', 'HEAD']).trim();

    // Install R1 as it would run: /app, a site-packages layout, compiled classes.
    const install = join(scratch, 'install');
    cpSync(repoDir, join(install, 'app'), { recursive: true, filter: (s) => !s.includes('.git') });
    if (hasPython)
      cpSync(repoDir, join(install, 'venv/lib/python3.11/site-packages'), { recursive: true, filter: (s) => !s.includes('.git') });
    if (hasJava) {
      const sources = programs.filter((p) => p.language === 'java').map((p) => join(install, 'app', p.failing));
      mkdirSync(join(install, 'classes'));
      execFileSync('javac', ['-d', join(install, 'classes'), ...sources]);
    }
    let t = performance.now();
    const traces = programs.map((p) => ({ program: p, text: p.run(install) }));
    console.log(
      `Ran ${traces.length} failing programs (${[...new Set(programs.map((p) => p.language))].join(', ')}) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    for (const p of programs) moveOn(repoDir, p);
    git(repoDir, ['add', '-A']);
    git(repoDir, ['commit', '-q', '-m', 'R2: the working copy moves on']);

    const repo = await Repository.open(repoDir);
    const results: { language: string; ok: boolean; ms: number; frames: number }[] = [];
    for (const { program, text } of traces) {
      const expectedPath = program.rename ?? program.failing;
      const expectedLine =
        readFileSync(join(repoDir, expectedPath), 'utf8')
          .split('\n')
          .findIndex((l) => l.includes(program.marker)) + 1;
      t = performance.now();
      const result = await traceFinding({ repo, text, revision: r1, limit: 5 });
      const ms = performance.now() - t;
      const best = result.candidates[0];
      const ok = best?.path === expectedPath && best.line === expectedLine && Boolean(best.changed) === changedExpected(program);
      if (!ok)
        console.log(
          `  miss ${program.marker}: expected ${expectedPath}:${expectedLine}, got ${best ? `${best.path}:${best.line} (${best.reason})` : 'nothing'}`,
        );
      results.push({ language: program.language, ok, ms, frames: (text.match(/\n/g) ?? []).length });
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? 0;
    console.log('\nlanguage  traces  top-1    median ms  p95 ms  trace lines (median)');
    for (const lang of [...new Set(results.map((r) => r.language))]) {
      const rs = results.filter((r) => r.language === lang);
      console.log(
        `${lang.padEnd(9)} ${String(rs.length).padStart(6)}  ${((100 * rs.filter((r) => r.ok).length) / rs.length).toFixed(1).padStart(5)}%  ${median(
          rs.map((r) => r.ms),
        )
          .toFixed(1)
          .padStart(9)}  ${p95(rs.map((r) => r.ms))
          .toFixed(1)
          .padStart(6)}  ${median(rs.map((r) => r.frames))}`,
      );
    }
    const all = results.filter((r) => r.ok).length / results.length;
    console.log(
      `\nall: top-1 ${(100 * all).toFixed(1)}% (goal ≥ 95%), median ${median(results.map((r) => r.ms)).toFixed(1)} ms per trace (goal ≤ 300 ms per 200-frame trace)`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
