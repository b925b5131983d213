// Runs the extension-host suite named by LINEAGE_VSCODE_SUITE once the workbench has started, for
// hosts (code-server) that have no --extensionTestsPath. The suite writes its own report.
//
// For the GitHub run it also stands in for VS Code's GitHub Enterprise sign-in, which needs a real
// server's OAuth pages: a provider with the same id whose session carries the test server's token,
// counting how often it is asked (globalThis.lineageTestAuth) so the suite can tell when it was.
const { writeFileSync } = require('node:fs');

async function registerTestGitHubEnterprise(context, token) {
  const vscode = require('vscode');
  const calls = { getSessions: 0, createSession: 0 };
  globalThis.lineageTestAuth = calls;
  const changed = new vscode.EventEmitter();
  let sessions = [];
  const provider = {
    onDidChangeSessions: changed.event,
    async getSessions() {
      calls.getSessions++;
      return sessions;
    },
    async createSession(scopes) {
      calls.createSession++;
      const session = { id: 'test-session', accessToken: token, account: { id: '1', label: 'octo-tester' }, scopes: [...scopes] };
      sessions = [session];
      changed.fire({ added: [session], removed: [], changed: [] });
      return session;
    },
    async removeSession() {
      const removed = sessions;
      sessions = [];
      changed.fire({ added: [], removed, changed: [] });
    },
  };
  // VS Code's own GitHub authentication extension registers "github-enterprise" too, in whichever
  // extension host it runs, and the workbench keeps the later registration. Register until a
  // silent lookup reaches this provider, twice in a row a second apart.
  let registration;
  for (let confirmed = 0, tries = 0; confirmed < 2 && tries < 40; tries++) {
    const before = calls.getSessions;
    await vscode.authentication.getSession('github-enterprise', ['read:user'], { silent: true }).catch(() => undefined);
    if (calls.getSessions > before) {
      confirmed++;
    } else {
      confirmed = 0;
      registration?.dispose();
      registration = vscode.authentication.registerAuthenticationProvider('github-enterprise', 'GitHub Enterprise Server', provider);
    }
    await new Promise((r) => setTimeout(r, confirmed ? 1000 : 250));
  }
  calls.getSessions = 0;
  if (registration) context.subscriptions.push(registration);
}

exports.activate = async function activate(context) {
  if (process.env.LINEAGE_VSCODE_GITHUB_TOKEN) await registerTestGitHubEnterprise(context, process.env.LINEAGE_VSCODE_GITHUB_TOKEN);
  const suite = process.env.LINEAGE_VSCODE_SUITE;
  if (!suite) return;
  try {
    await require(suite).run();
  } catch (error) {
    const report = process.env.LINEAGE_VSCODE_REPORT;
    if (report && !require('node:fs').existsSync(report)) {
      writeFileSync(
        report,
        JSON.stringify({ passed: [], failed: [{ title: 'suite did not run', error: String((error && error.stack) || error) }] }),
      );
    }
  }
};
