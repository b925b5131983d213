/** Machine checks of the architecture: the core never imports vscode, and imports run down the layers only. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('architecture', () => {
  it('keeps src/core free of vscode', () => {
    const offenders = sources(join(root, 'src/core')).filter((file) =>
      /(from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(
      offenders.map((f) => relative(root, f)),
      [],
    );
  });

  it('keeps src/core and src/server free of the extension adapter', () => {
    const offenders = [...sources(join(root, 'src/core')), ...sources(join(root, 'src/server'))].filter((file) =>
      /from\s+['"][./]*(\.\.\/)+vscode\//.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(
      offenders.map((f) => relative(root, f)),
      [],
    );
  });

  it('imports vscode nowhere but src/vscode', () => {
    const offenders = [...sources(join(root, 'src/cli')), ...sources(join(root, 'src/server'))].filter((file) =>
      /from\s+['"]vscode['"]/.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });
});

/** Core's parts from the bottom up: a part imports only parts before it (and itself). */
const coreLayers = [
  'util',
  'model',
  'linemap',
  'git',
  'ingest',
  'audit',
  'sources',
  'lineage',
  'policy',
  'trace',
  'present',
  'evidence',
  'picture',
  'session',
];
/** Which top-level parts each part may import; core is at the bottom, the adapters above it. */
const allowed: Record<string, string[]> = {
  core: ['core'],
  server: ['core', 'server'],
  cli: ['core', 'server', 'cli'],
  vscode: ['core', 'vscode'],
  webview: ['core', 'webview'],
  types: ['types'],
};

/** Every relative import of every source file, resolved to the file it names. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(join(root, 'src'))) {
    const targets: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const base = resolve(dirname(file), m[1]!);
      // The type checker vouches for real imports; what resolves to no file is text that looks like one (the demo's sources).
      const found = [`${base}.ts`, join(base, 'index.ts')].find((c) => existsSync(c));
      if (found) targets.push(found);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** ['core', 'sources'] for src/core/sources/github/x.ts; ['cli'] for src/cli/demo/y.ts. */
function partOf(file: string): [string, string | undefined] {
  const [top, sub] = relative(join(root, 'src'), file).split(/[\\/]/);
  return [top!, top === 'core' ? sub : undefined];
}

describe('import graph', () => {
  const graph = importGraph();

  it('runs downward only: adapters above core, and core part by part in its layer order', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const [top, layer] = partOf(file);
      for (const target of targets) {
        const [toTop, toLayer] = partOf(target);
        const ok =
          top === 'core' && toTop === 'core'
            ? coreLayers.indexOf(toLayer!) <= coreLayers.indexOf(layer!)
            : (allowed[top] ?? []).includes(toTop);
        if (!ok) upward.push(`${relative(root, file)} -> ${relative(root, target)}`);
      }
    }
    for (const [file] of graph) {
      const [top, layer] = partOf(file);
      if (top === 'core' && layer && !layer.endsWith('.ts'))
        assert.ok(coreLayers.includes(layer), `src/core/${layer} has no place in the layer order`);
    }
    assert.deepEqual(upward, []);
  });

  it('has no cycle', () => {
    // Depth-first search; a file met again while still on the path closes a cycle.
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) {
        if (state.get(target) === 'open')
          cycles.push([...path.slice(path.indexOf(target)), target].map((f) => relative(root, f)).join(' -> '));
        else if (!state.has(target)) visit(target, [...path, target]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    assert.deepEqual(cycles, []);
  });
});
