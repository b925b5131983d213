/**
 * The extension's composition root. Activation only registers; nothing touches git or the network
 * until the workspace is trusted and the user (or a feature) asks.
 */
import * as vscode from 'vscode';
import { ApiClient } from '../core/sources/apiClient';
import { ApiError } from '../core/sources/apiError';

const tokenKey = 'lineage.api.token';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Code Lineage', { log: true });
  context.subscriptions.push(log);

  context.subscriptions.push(
    vscode.commands.registerCommand('lineage.configureService', async () => {
      const current = vscode.workspace.getConfiguration('lineage').get<string>('api.url') ?? '';
      const url = await vscode.window.showInputBox({
        title: 'Code Lineage: traceability service URL',
        value: current || 'http://127.0.0.1:7420',
        validateInput: (v) => (/^https?:\/\/[^\s]+$/.test(v) ? undefined : 'Enter an http(s) URL'),
      });
      if (url === undefined) return;
      await vscode.workspace.getConfiguration('lineage').update('api.url', url, vscode.ConfigurationTarget.Global);
      const token = await vscode.window.showInputBox({ title: 'Read token (leave empty for none)', password: true, ignoreFocusOut: true });
      if (token) await context.secrets.store(tokenKey, token);
      else if (token === '') await context.secrets.delete(tokenKey);
      log.info(`service URL set to ${url}; token ${token ? 'stored in secret storage' : 'not set'}`);
    }),
    vscode.commands.registerCommand('lineage.showServiceStatus', async () => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('Code Lineage makes no network calls in an untrusted workspace. Trust the workspace to connect.');
        return;
      }
      const url = vscode.workspace.getConfiguration('lineage').get<string>('api.url');
      if (!url) {
        void vscode.window.showInformationMessage('No traceability service is configured. Run "Code Lineage: Configure Service".');
        return;
      }
      const client = new ApiClient({ baseUrl: url, token: await context.secrets.get(tokenKey), retries: 0, timeoutMs: 3000 });
      try {
        const health = await client.health();
        void vscode.window.showInformationMessage(`Code Lineage service ${health.version}: ${health.events} events (${health.store} store).`);
      } catch (e) {
        const message = ApiError.is(e) ? e.message : String(e);
        log.warn(`service status: ${message}`);
        void vscode.window.showWarningMessage(`Code Lineage: ${message}`);
      } finally {
        await client.close();
      }
    }),
  );
}

export function deactivate(): void {
  // Everything registered is disposed through context.subscriptions.
}
