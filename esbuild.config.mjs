// Builds the bundles: the extension (vscode external), the `lineage` CLI, the service and the timeline's webview script.
// Usage: node esbuild.config.mjs [--production] [--watch]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Native or wasm-carrying packages stay in node_modules; the extension bundle never needs them. */
const serverExternals = ['@electric-sql/pglite', 'pg', 'pg-native'];

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
};

const builds = [
  { ...common, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // The CLI is split into chunks along its dynamic imports (one per command, one per source), so
  // a command loads and compiles only what it runs: start-up is most of a short blame's cost.
  // Splitting needs ES modules; the banner gives bundled CommonJS packages the require,
  // __filename and __dirname they expect.
  {
    ...common,
    format: 'esm',
    splitting: true,
    entryPoints: { main: 'src/cli/main.ts' },
    outdir: 'dist/cli',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    external: serverExternals,
    banner: {
      js: [
        "import { createRequire as __lineageRequire } from 'node:module';",
        "import { fileURLToPath as __lineagePath } from 'node:url';",
        'const require = __lineageRequire(import.meta.url);',
        'const __filename = __lineagePath(import.meta.url);',
        "const __dirname = __lineagePath(new URL('.', import.meta.url));",
      ].join('\n'),
    },
  },
  { ...common, entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js', external: serverExternals },
  // The timeline's page script, run in the webview: a browser bundle, so any Node import fails the build.
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: ['src/webview/timeline.ts'],
    outfile: 'dist/webview/timeline.js',
  },
];

/** `lineage`'s entry (package.json "bin"): CommonJS, so it runs wherever Node does, loading the split CLI. */
// Chunk names carry content hashes: the old ones go, or the directory grows with every build.
rmSync('dist/cli', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });
writeFileSync('dist/cli.js', "#!/usr/bin/env node\n'use strict';\nimport('./cli/main.mjs');\n", { mode: 0o755 });

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
