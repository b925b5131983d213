/**
 * A file's text at a commit, for the timeline's diffs: `lineage-revision:/<path>?<query>` where the
 * query names the repository's root and the commit. Read through the engine's git chokepoint,
 * only while the workspace is trusted; an empty text for a commit without the file.
 */
import * as vscode from 'vscode';
import { z } from 'zod';
import { checkRevision } from '../core/git/gitRunner';
import type { LineageController } from './lineageController';

export const revisionScheme = 'lineage-revision';

const Query = z.object({ root: z.string().min(1), sha: z.string().nullable(), path: z.string().min(1) });

export function revisionUri(root: string, sha: string | null, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: revisionScheme, path: `/${path}`, query: JSON.stringify({ root, sha, path }) });
}

export class RevisionContent implements vscode.TextDocumentContentProvider {
  constructor(private readonly controller: LineageController) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    let query: unknown;
    try {
      query = JSON.parse(uri.query || '{}');
    } catch {
      return '';
    }
    const parsed = Query.safeParse(query);
    if (!parsed.success || !parsed.data.sha || !this.controller.trusted) return '';
    const found = await this.controller.repositoryOf(vscode.Uri.file(parsed.data.root));
    if (!found || found.repo.root !== parsed.data.root) return '';
    return (await found.repo.textAt(checkRevision(parsed.data.sha), parsed.data.path)) ?? '';
  }
}
