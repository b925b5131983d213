// Builds the three bundles: the extension (vscode external), the `lineage` CLI and the service.
// Usage: node esbuild.config.mjs [--production] [--watch]
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
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    external: serverExternals,
    banner: { js: '#!/usr/bin/env node' },
  },
  { ...common, entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js', external: serverExternals },
];

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
