// Builds the bundles: the extension (vscode external), the `lineage` CLI, the service and the timeline's webview script.
// Usage: node esbuild.config.mjs [--production] [--watch]
import { mkdirSync, rmSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { buildCli, watchCli } from './scripts/buildCli.mjs';

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

// Old command and vendor files go, or a renamed command's bundle would linger.
rmSync('dist/cli', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
  await watchCli({ common, production, externals: serverExternals });
} else {
  await Promise.all([...builds.map((options) => esbuild.build(options)), buildCli({ common, production, externals: serverExternals })]);
}
