// Runs the extension-host suite named by LINEAGE_VSCODE_SUITE once the workbench has started, for
// hosts (code-server) that have no --extensionTestsPath. The suite writes its own report.
const { writeFileSync } = require('node:fs');

exports.activate = async function activate() {
  const suite = process.env.LINEAGE_VSCODE_SUITE;
  if (!suite) return;
  try {
    await require(suite).run();
  } catch (error) {
    const report = process.env.LINEAGE_VSCODE_REPORT;
    if (report && !require('node:fs').existsSync(report)) {
      writeFileSync(report, JSON.stringify({ passed: [], failed: [{ title: 'suite did not run', error: String((error && error.stack) || error) }] }));
    }
  }
};
