/**
 * The same extension-host suite under @vscode/test-electron, for machines that can download
 * VS Code (this network cannot; `npm run test:vscode` uses code-server instead). Trusted run only:
 * test-electron opens the folder with --disable-workspace-trust.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildSuite } from './buildSuite';
import { createFixture, serviceSettings, writeUserSettings } from './fixture';

async function main(): Promise<void> {
  const root = join(__dirname, '../..');
  const suite = await buildSuite(root);
  const fixture = await createFixture();
  const userData = mkdtempSync(join(tmpdir(), 'lineage-electron-'));
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeUserSettings(userData, serviceSettings(fixture.info.serviceUrl), 'local');
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: suite,
      launchArgs: [fixture.info.repoDir, '--disable-workspace-trust', '--disable-extensions', `--user-data-dir=${userData}`],
      extensionTestsEnv: { LINEAGE_VSCODE_MODE: 'trusted', LINEAGE_VSCODE_FIXTURE: JSON.stringify(fixture.info) },
    });
  } finally {
    await fixture.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
