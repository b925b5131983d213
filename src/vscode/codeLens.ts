/**
 * CodeLens at the top of a file: per environment, the deployed revision of this file and how many
 * of the buffer's lines differ from it; and the open findings count.
 */
import * as vscode from 'vscode';
import { linesDiffering, orderEnvironments } from '../core/present/environments';
import { plainText } from '../core/present/markdown';
import type { LineageController } from './lineageController';

export class LineageCodeLensProvider implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly controller: LineageController) {
    this.onDidChangeCodeLenses = controller.onDidChange;
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!this.controller.settings.codeLens || !this.controller.trusted) return [];
    const result = await this.controller.lineage(document);
    if (!result.ok || result.file.environments.length === 0) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const policy = { order: this.controller.settings.environmentOrder, production: this.controller.settings.production };
    const lenses = orderEnvironments(result.file.environments, policy).map((env) => {
      let title: string;
      if (!env.commit) title = `${env.name}: ${env.note ?? 'nothing deployed'}`;
      else {
        const differing = linesDiffering(result.file.lines, env.name);
        const diff =
          differing === null
            ? plainText(env.note ?? 'unknown')
            : differing === 0
              ? 'same as here'
              : `${differing} line${differing === 1 ? '' : 's'} differ`;
        title = `${env.name} @ ${env.commit.slice(0, 7)}: ${diff}`;
      }
      return new vscode.CodeLens(top, {
        title: plainText(title),
        command: 'lineage.showEnvironments',
        tooltip: env.deploymentId
          ? `Deployment ${plainText(env.deploymentId)}${env.at ? ` at ${env.at}` : ''}${env.actor ? ` by ${plainText(env.actor)}` : ''}`
          : undefined,
      });
    });
    lenses.push(
      new vscode.CodeLens(top, {
        title: 'Timeline',
        command: 'lineage.showTimeline',
        tooltip: 'Show this file’s way to production, drawn',
      }),
    );
    const findings = new Set(result.file.lines.flatMap((l) => l.findings.map((f) => f.id))).size;
    if (findings > 0)
      lenses.push(
        new vscode.CodeLens(top, { title: `${findings} open finding${findings === 1 ? '' : 's'}`, command: 'lineage.showFindings' }),
      );
    return lenses;
  }
}
