/** Evidence and other generated Markdown, shown rendered and kept as an unsaved document that can be saved. */
import * as vscode from 'vscode';

export async function showMarkdown(markdown: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  try {
    await vscode.commands.executeCommand('markdown.showPreview', document.uri);
  } catch {
    // No Markdown preview installed: the text itself.
    await vscode.window.showTextDocument(document, { preview: true });
  }
  return document;
}
