/** Bundles the extension-host suite (vscode and mocha stay external: the host and node_modules provide them). */
import { build } from 'esbuild';
import { join } from 'node:path';

export async function buildSuite(root: string): Promise<string> {
  const outdir = join(root, 'out', 'vscode');
  await build({
    entryPoints: ['index.ts', 'lineage.vscode.test.ts', 'github.vscode.test.ts', 'gitlab.vscode.test.ts', 'demo.vscode.test.ts'].map((f) =>
      join(root, 'test/vscode/suite', f),
    ),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return join(outdir, 'index.js');
}
