/** Real git repositories for tests, with fixed authors and dates so every run is the same. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export class TestRepo {
  readonly dir: string;
  private clock = Date.parse('2026-03-01T09:00:00Z');

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'lineage-repo-'));
  }

  static init(slug = 'acme/app'): TestRepo {
    const repo = new TestRepo();
    repo.git(['init', '-q', '-b', 'main']);
    repo.git(['remote', 'add', 'origin', `https://github.com/${slug}.git`]);
    return repo;
  }

  git(args: string[], env: Record<string, string> = {}): string {
    const at = new Date(this.clock).toISOString();
    return execFileSync('git', ['-c', 'commit.gpgSign=false', ...args], {
      cwd: this.dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Dev One',
        GIT_AUTHOR_EMAIL: 'dev1@acme.example',
        GIT_COMMITTER_NAME: 'Dev One',
        GIT_COMMITTER_EMAIL: 'dev1@acme.example',
        GIT_AUTHOR_DATE: at,
        GIT_COMMITTER_DATE: at,
        ...env,
      },
    }).trim();
  }

  write(path: string, lines: string[] | string, eol = '\n'): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true });
    writeFileSync(join(this.dir, path), typeof lines === 'string' ? lines : lines.map((l) => l + eol).join(''));
  }

  move(from: string, to: string): void {
    mkdirSync(dirname(join(this.dir, to)), { recursive: true });
    this.git(['mv', from, to]);
  }

  remove(path: string): void {
    rmSync(join(this.dir, path));
  }

  commit(message: string, env: Record<string, string> = {}): string {
    this.clock += 3600_000;
    this.git(['add', '-A']);
    this.git(['commit', '-q', '--allow-empty', '-m', message], env);
    return this.head();
  }

  head(): string {
    return this.git(['rev-parse', 'HEAD']);
  }

  show(rev: string, path: string): string[] {
    const text = execFileSync('git', ['show', `${rev}:${path}`], { cwd: this.dir, encoding: 'utf8' });
    return text.split(/\r?\n/).filter((_, i, all) => i < all.length - 1 || all[i] !== '');
  }

  time(): string {
    return new Date(this.clock).toISOString();
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
