/**
 * Bundled JavaScript mapped back to its sources: a frame in main.4f2a.js:2:10432 becomes
 * src/cart.js:14 through main.4f2a.js.map, found among the repository's files or in its build
 * output folders (dist, build, out, public, static, .next). Maps are read once per run.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';

const buildFolders = ['dist', 'build', 'out', 'public', 'static', '.next', 'www'];
const maxMaps = 5_000;
const maxMapBytes = 50 * 1024 * 1024;

export class SourceMaps {
  private index: Promise<Map<string, string[]>> | undefined;
  private readonly maps = new Map<string, Promise<TraceMap | null>>();

  constructor(
    private readonly root: string,
    private readonly trackedFiles: string[],
  ) {}

  /** The original source position of a bundled position, or null when no map covers it. */
  async original(
    file: string,
    line: number,
    column: number,
  ): Promise<{ source: string; line: number; column: number | null; map: string } | null> {
    const base = file
      .replace(/[?#].*$/, '')
      .split(/[\\/]/)
      .pop();
    if (!base || !/\.(m?js|cjs)$/.test(base)) return null;
    const candidates = (await this.mapIndex()).get(`${base}.map`) ?? [];
    for (const mapPath of candidates.slice(0, 5)) {
      const map = await this.load(mapPath);
      if (!map) continue;
      const pos = originalPositionFor(map, { line, column: Math.max(0, column - 1) });
      if (pos.source && pos.line) return { source: pos.source, line: pos.line, column: pos.column + 1, map: mapPath };
    }
    return null;
  }

  private mapIndex(): Promise<Map<string, string[]>> {
    this.index ??= (async () => {
      const byName = new Map<string, string[]>();
      const add = (path: string) => {
        const name = path.split('/').pop()!;
        byName.set(name, [...(byName.get(name) ?? []), path]);
      };
      for (const f of this.trackedFiles) if (f.endsWith('.map')) add(f);
      let count = 0;
      const walk = async (dir: string, depth: number): Promise<void> => {
        if (depth > 6 || count > maxMaps) return;
        let entries;
        try {
          entries = await readdir(join(this.root, dir), { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          if (e.isSymbolicLink() || e.name === 'node_modules' || e.name === '.git') continue;
          const path = dir ? `${dir}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(path, depth + 1);
          else if (e.name.endsWith('.map') && ++count <= maxMaps) add(path);
        }
      };
      for (const folder of buildFolders) await walk(folder, 0);
      return byName;
    })();
    return this.index;
  }

  private load(path: string): Promise<TraceMap | null> {
    let cached = this.maps.get(path);
    if (!cached) {
      cached = (async () => {
        try {
          const full = join(this.root, path);
          // Only files inside the repository folder, and of a sane size.
          if (relative(this.root, full).startsWith('..') || (await stat(full)).size > maxMapBytes) return null;
          return new TraceMap(await readFile(full, 'utf8'), full);
        } catch {
          return null;
        }
      })();
      this.maps.set(path, cached);
    }
    return cached;
  }
}
