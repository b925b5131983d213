/**
 * Runs the extension-host suite with mocha inside VS Code and writes a JSON report. The same entry
 * serves @vscode/test-electron (`run()`) and the code-server runner (through the runner extension).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SuiteReport {
  passed: string[];
  failed: { title: string; error: string }[];
  /** How long the extension's activate() took in this host. */
  activationMs?: number;
}

export function run(): Promise<void> {
  // Required at run time from the project's node_modules; the extension host provides `vscode`.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mocha = require('mocha') as typeof import('mocha');
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  const mode = process.env.LINEAGE_VSCODE_MODE;
  mocha.addFile(
    join(__dirname, mode === 'github' || mode === 'gitlab' || mode === 'demo' ? `${mode}.vscode.test.js` : 'lineage.vscode.test.js'),
  );
  const report: SuiteReport = { passed: [], failed: [] };
  return new Promise((resolve, reject) => {
    const before = new Set(process.listeners('uncaughtException'));
    const runner = mocha.run((failures) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const vscode = require('vscode') as typeof import('vscode');
      report.activationMs = vscode.extensions.getExtension<{ activationMs: number }>('code-lineage.code-lineage')?.exports?.activationMs;
      if (process.env.LINEAGE_VSCODE_REPORT) writeFileSync(process.env.LINEAGE_VSCODE_REPORT, JSON.stringify(report));
      if (failures > 0) reject(new Error(`${failures} extension-host tests failed`));
      else resolve();
    });
    // The workbench's own services (telemetry, marketplace) fail DNS lookups on an offline machine
    // and surface as uncaught errors in this process; mocha would pin them on whichever test runs.
    for (const listener of process.listeners('uncaughtException')) {
      if (before.has(listener)) continue;
      process.removeListener('uncaughtException', listener);
      process.on('uncaughtException', (error: NodeJS.ErrnoException, origin) => {
        if (error?.code === 'ENOTFOUND' || error?.code === 'EAI_AGAIN') console.warn(`ignored offline error: ${error.message}`);
        else (listener as (e: Error, o: string) => void)(error, origin);
      });
    }
    runner.on('pass', (t) => report.passed.push(t.fullTitle()));
    runner.on('fail', (t, err) => report.failed.push({ title: t.fullTitle(), error: String(err?.stack ?? err) }));
  });
}
