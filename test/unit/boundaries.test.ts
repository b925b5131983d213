/** Machine checks of the architecture: the core never imports vscode, and the adapters stay thin. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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
    assert.deepEqual(offenders.map((f) => relative(root, f)), []);
  });

  it('keeps src/core and src/server free of the extension adapter', () => {
    const offenders = [...sources(join(root, 'src/core')), ...sources(join(root, 'src/server'))].filter((file) =>
      /from\s+['"][./]*(\.\.\/)+vscode\//.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(offenders.map((f) => relative(root, f)), []);
  });

  it('imports vscode nowhere but src/vscode', () => {
    const offenders = [...sources(join(root, 'src/cli')), ...sources(join(root, 'src/server'))].filter((file) =>
      /from\s+['"]vscode['"]/.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });
});
