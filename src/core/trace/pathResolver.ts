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

/**
 * A Go module's copy of a file, as a trace names it: from the module cache
 * (`…/pkg/mod/github.com/acme/shop@v1.4.2/internal/cart.go`, whose version also names a revision)
 * or vendored (`…/vendor/github.com/acme/shop/internal/cart.go`). Module paths escape capitals as
 * `!x`; they are returned unescaped and in lower case for comparison.
 */
export interface GoModuleFile {
  module: string;
  version: string | null;
  /** The path inside the module. */
  rest: string;
}

const moduleHosts = /^(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)$/;

export function goModuleFile(tracePath: string): GoModuleFile | null {
  const p = normaliseTracePath(tracePath);
  const cached = /(?:^|\/)pkg\/mod\/([^@]{1,300})@([^/]{1,200})\/(.+\.go)$/.exec(p);
  if (cached) return { module: unescapeModule(cached[1]!), version: cached[2]!, rest: cached[3]! };
  const vendored = /(?:^|\/)vendor\/(.+\.go)$/.exec(p);
  if (!vendored) return null;
  const parts = vendored[1]!.split('/');
  // Hosts whose module paths are host/owner/name; others cannot be told apart from the package path.
  if (parts.length < 4 || !moduleHosts.test(parts[0]!)) return null;
  return { module: unescapeModule(parts.slice(0, 3).join('/')), version: null, rest: parts.slice(3).join('/') };
}

function unescapeModule(path: string): string {
  return path.replace(/!([a-z])/g, (_, c: string) => c).toLowerCase();
}

/** The commit a Go module version names: a pseudo-version's commit prefix, else the tag it is. */
export function goVersionRevision(version: string): { commit: string } | { tag: string } {
  const pseudo = /-(?:\d+\.)?(?:0\.)?\d{14}-([0-9a-f]{12})(?:\+incompatible)?$/.exec(version);
  return pseudo ? { commit: pseudo[1]! } : { tag: version.replace(/\+incompatible$/, '') };
}

/** Paths that are libraries wherever they resolve: ranked below the application's own frames. */
export function looksLikeLibrary(tracePath: string): boolean {
  return (
    /(^|\/)(node_modules|site-packages|dist-packages|vendor|\.yarn|bower_components|gems|pkg\/mod)\//.test(normaliseTracePath(tracePath)) ||
    /^(java|javax|jdk|sun|kotlin|scala|System|Microsoft)\//.test(tracePath) ||
    /^<|^internal\//.test(tracePath)
  );
}
