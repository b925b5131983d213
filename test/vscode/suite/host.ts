/** What the extension-host suites share: the extension's API, hovers, waiting, screenshots. */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LineageApi } from '../../../src/vscode/extension';

export async function screenshot(name: string): Promise<void> {
  const url = process.env.LINEAGE_SCREENSHOT_URL;
  if (!url) return;
  await new Promise((r) => setTimeout(r, 1200));
  await fetch(`${url}/shot?name=${encodeURIComponent(name)}`, { method: 'POST' }).catch(() => undefined);
}

export async function api(): Promise<LineageApi> {
  const ext = vscode.extensions.getExtension<LineageApi>('code-lineage.code-lineage');
  assert.ok(ext, 'the extension is installed');
  return ext.isActive ? ext.exports : ext.activate();
}

export async function hoverText(uri: vscode.Uri, line: number): Promise<{ text: string; strings: vscode.MarkdownString[] }> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line - 1, 2));
  // Hovers cross from the provider to the command as plain objects: read `value` and flags.
  const strings = hovers.flatMap((h) => h.contents as unknown as vscode.MarkdownString[]).filter((c) => typeof c?.value === 'string');
  return { text: strings.map((s) => s.value).join('\n---\n'), strings };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
