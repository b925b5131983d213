/**
 * A repository with a long history, generated deterministically with `git fast-import` (no public
 * repository can be downloaded here): `commits` commits each editing a few lines of a `lines`-line
 * file, with an origin on GitHub. Returns the commit ids, oldest first.
 */
import { execFileSync } from 'node:child_process';

export function generateRepository(dir: string, options: { commits: number; lines: number; path: string }): string[] {
  const { commits: commitCount, lines: lineCount, path } = options;
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  execFileSync('git', ['-C', dir, 'remote', 'add', 'origin', 'https://github.com/acme/bench.git']);
  let seed = 7;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const lines = Array.from({ length: lineCount }, (_, i) => `const v${i} = ${i}; // original line ${i}`);
  const chunks: string[] = [];
  const t0 = Date.parse('2025-01-01T00:00:00Z') / 1000;
  for (let k = 1; k <= commitCount; k++) {
    if (k > 1) {
      for (let e = 0; e < 3; e++) lines[rand(lines.length)] = `const e${k}_${e} = ${k}; // edited in commit ${k}`;
      if (k % 10 === 0) lines.splice(rand(lines.length), 0, `// inserted in commit ${k}`);
      if (k % 15 === 0) lines.splice(rand(lines.length), 1);
    }
    const content = `${lines.join('\n')}\n`;
    const message = `commit ${k}`;
    const who = `Dev ${k % 7} <dev${k % 7}@acme.example> ${t0 + k * 3600} +0000`;
    chunks.push(
      `commit refs/heads/main\nmark :${k}\nauthor ${who}\ncommitter ${who}\ndata ${Buffer.byteLength(message)}\n${message}\n` +
        (k > 1 ? `from :${k - 1}\n` : '') +
        `M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`,
    );
  }
  execFileSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: chunks.join(''), maxBuffer: 1 << 30 });
  execFileSync('git', ['-C', dir, 'checkout', '-q', 'main']);
  return execFileSync('git', ['-C', dir, 'rev-list', '--reverse', 'main'], { encoding: 'utf8' }).trim().split('\n');
}
