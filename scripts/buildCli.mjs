// The `lineage` CLI's bundles, laid out so that a command loads one file of its own code:
//
//   dist/cli.js                the entry (package.json "bin"): usage, dispatch, exit codes
//   dist/cli/<command>.js      one per command module main.ts imports, with all of this
//                              project's code that command reaches (a blame never parses the
//                              service, the store or the policy engine's sources)
//   dist/cli/vendor/<pkg>.js   one per third-party package (or scope), required on first use
//
// All CommonJS: Node loads one CommonJS file in a fraction of what an ES-module graph of the same
// code costs (resolution, linking and evaluation per module), and start-up is most of a short
// blame's time. Each process runs exactly one command bundle, so a class (GitError, ApiError)
// has one identity per process; a package is one vendor file, so every command bundle that needs
// it shares it. Packages with native or wasm parts (the store's) stay in node_modules.
import { chmodSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const commandNamespace = 'lineage-command';
const vendorNamespace = 'lineage-vendor';

/** `@scope/name/sub` → `@scope`; `name/sub` → `name`: the vendor file a specifier is served from. */
function vendorGroup(specifier) {
  const [first] = specifier.split('/');
  return first;
}

const isBare = (path) => !/^(\.|\/|node:)/.test(path) && !builtinModules.includes(path.split('/')[0]);

/** main.ts's dynamic imports (the commands) become requires of their own bundles, recorded in `commands`. */
function commandsExternal(commands) {
  return {
    name: 'commands-external',
    setup(build) {
      build.onResolve({ filter: /^\./ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData === commandNamespace) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: commandNamespace });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const name = basename(resolved.path).replace(/\.ts$/, '');
        const known = commands.get(name);
        if (known && known !== resolved.path) return { errors: [{ text: `two commands named ${name}: ${known} and ${resolved.path}` }] };
        commands.set(name, resolved.path);
        return { path: `./cli/${name}.js`, external: true };
      });
    },
  };
}

/** Third-party imports in a command bundle read from the package's vendor file; `specifiers` collects them. */
function vendorExternal(specifiers, keep) {
  return {
    name: 'vendor-external',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!isBare(args.path) || keep.some((k) => args.path === k || args.path.startsWith(`${k}/`))) return undefined;
        specifiers.add(args.path);
        return { path: args.path, namespace: vendorNamespace };
      });
      build.onLoad({ filter: /.*/, namespace: vendorNamespace }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(`./vendor/${vendorGroup(args.path)}.js`)})[${JSON.stringify(args.path)}];`,
        loader: 'js',
        resolveDir: '.',
      }));
      build.onResolve({ filter: /^\.\/vendor\//, namespace: vendorNamespace }, (args) => ({ path: args.path, external: true }));
    },
  };
}

function mainOptions(common, commands) {
  return {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    // import() of a command becomes require(): no ES-module loader is started for it.
    supported: { 'dynamic-import': false },
    plugins: [commandsExternal(commands)],
  };
}

function commandOptions(common, commands, specifiers, externals) {
  return {
    ...common,
    entryPoints: Object.fromEntries([...commands].map(([name, path]) => [name, path])),
    outdir: 'dist/cli',
    external: externals,
    supported: { 'dynamic-import': false },
    plugins: [vendorExternal(specifiers, externals)],
  };
}

/** One vendor file per group: an object from each specifier used to the package's exports. */
function vendorOptions(common, specifiers) {
  const groups = new Map();
  for (const s of [...specifiers].sort()) groups.set(vendorGroup(s), [...(groups.get(vendorGroup(s)) ?? []), s]);
  return [...groups].map(([group, members]) => ({
    ...common,
    stdin: {
      contents: `module.exports = {\n${members.map((m) => `  ${JSON.stringify(m)}: require(${JSON.stringify(m)}),`).join('\n')}\n};\n`,
      resolveDir: resolve('.'),
      sourcefile: `vendor-${group}.js`,
      loader: 'js',
    },
    outfile: `dist/cli/vendor/${group}.js`,
  }));
}

/** Builds dist/cli.js, the command bundles and the vendor files, in that order (each names the next's inputs). */
export async function buildCli({ common, externals }) {
  const commands = new Map();
  const specifiers = new Set();
  await esbuild.build(mainOptions(common, commands));
  chmodSync('dist/cli.js', 0o755);
  await esbuild.build(commandOptions(common, commands, specifiers, externals));
  await Promise.all(vendorOptions(common, specifiers).map((options) => esbuild.build(options)));
}

/**
 * Watch mode: the entry and the command bundles rebuild on change; the vendor files are built
 * after the first build of the commands, and again when a build imports a package not built yet.
 */
export async function watchCli({ common, externals }) {
  const commands = new Map();
  const main = await esbuild.context(mainOptions(common, commands));
  await main.rebuild();
  chmodSync('dist/cli.js', 0o755);
  const specifiers = new Set();
  const built = new Set();
  const options = commandOptions(common, commands, specifiers, externals);
  options.plugins.push({
    name: 'vendor-rebuild',
    setup(build) {
      build.onEnd(async () => {
        if ([...specifiers].every((s) => built.has(s))) return;
        for (const s of specifiers) built.add(s);
        await Promise.all(vendorOptions(common, built).map((o) => esbuild.build(o)));
      });
    },
  });
  const ctx = await esbuild.context(options);
  await Promise.all([main.watch(), ctx.watch()]);
}
