/**
 * From a path as a trace gives it (/app/src/x.js, webpack:///./src/x.js, C:\build\src\X.cs,
 * com/acme/Foo.java, node_modules/lib/src/x.js) to files of the repository: configured code
 * mappings first (stack root → source root, the most specific first, as Sentry does), then the
 * longest unique suffix over the repository's files. A tie is several candidates, never a silent
 * pick. Only repository paths ever come out, so nothing outside the working copy can be named.
 */

export interface CodeMapping {
  stackRoot: string;
  sourceRoot: string;
}

export interface PathMatch {
  path: string;
  /** How many trailing path segments agree (mappings count as a full match). */
  segments: number;
  how: 'mapping' | 'suffix';
}

/** Normalises a trace path: URL schemes, drive letters, backslashes, "./" and query strings. */
export function normaliseTracePath(file: string): string {
  let p = file.trim().replace(/\\/g, '/');
  p = p.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*\//i, '/'); // scheme://host/ (file://, webpack://, http://)
  p = p.replace(/^[a-z][a-z0-9+.-]*:(?!\/)/i, (m) => (m.length === 2 ? m : '')); // app:, but keep "C:"
  p = p.replace(/^[A-Za-z]:\//, '/');
  p = p.replace(/[?#].*$/, '');
  p = p.replace(/\/\.\//g, '/').replace(/^\.\//, '');
  return p;
}

export class PathIndex {
  private readonly byBase = new Map<string, string[]>();

  constructor(files: string[]) {
    for (const f of files) {
      const base = f.slice(f.lastIndexOf('/') + 1);
      const list = this.byBase.get(base);
      if (list) list.push(f);
      else this.byBase.set(base, [f]);
    }
  }

  has(path: string): boolean {
    return this.byBase.get(path.slice(path.lastIndexOf('/') + 1))?.includes(path) ?? false;
  }

  /** Candidates for a trace path, best first; an empty list when no repository file matches. */
  resolve(tracePath: string, mappings: CodeMapping[] = []): PathMatch[] {
    const p = normaliseTracePath(tracePath);
    const sorted = [...mappings].sort((a, b) => b.stackRoot.length - a.stackRoot.length);
    for (const m of sorted) {
      const root = normaliseTracePath(m.stackRoot).replace(/\/?$/, '/');
      if (p.startsWith(root) || `/${p}`.startsWith(root)) {
        const rest = (p.startsWith(root) ? p : `/${p}`).slice(root.length);
        const mapped = `${m.sourceRoot.replace(/^\.?\/?/, '').replace(/\/?$/, '/')}${rest}`.replace(/^\//, '');
        if (this.has(mapped)) return [{ path: mapped, segments: Number.MAX_SAFE_INTEGER, how: 'mapping' }];
      }
    }
    const segments = p.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.length === 0 || segments.includes('..')) return [];
    const candidates = this.byBase.get(segments[segments.length - 1]!) ?? [];
    let best = 0;
    const scored = candidates.map((path) => {
      const parts = path.split('/');
      let n = 0;
      while (n < parts.length && n < segments.length && parts[parts.length - 1 - n] === segments[segments.length - 1 - n]) n++;
      best = Math.max(best, n);
      return { path, segments: n, how: 'suffix' as const, whole: n === parts.length, depth: parts.length };
    });
    // Among ties, a file the trace path ends with whole (`/app/index.js` and the root `index.js`: the
    // rest is where it was installed) comes first, then the shallower; the alphabet only last.
    return scored
      .filter((s) => s.segments === best && best > 0)
      .sort((a, b) => Number(b.whole) - Number(a.whole) || a.depth - b.depth || a.path.localeCompare(b.path))
      .map(({ path, segments: n, how }) => ({ path, segments: n, how }));
  }
}

/** Paths that are libraries wherever they resolve: ranked below the application's own frames. */
export function looksLikeLibrary(tracePath: string): boolean {
  return (
    /(^|\/)(node_modules|site-packages|dist-packages|vendor|\.yarn|bower_components|gems|pkg\/mod)\//.test(normaliseTracePath(tracePath)) ||
    /^(java|javax|jdk|sun|kotlin|scala|System|Microsoft)\//.test(tracePath) ||
    /^<|^internal\//.test(tracePath)
  );
}
