/**
 * The repositories of the workspace's files, each opened once per folder, with a watcher on its
 * HEAD and refs: a checkout, commit or fetch tells the owner to drop what it computed.
 */
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { GitError } from '../core/git/gitRunner';
import { Repository } from '../core/git/repository';

export interface FoundRepository {
  repo: Repository;
  /** owner/name from the origin remote, the key sources know the repository by. */
  slug: string | null;
}

export class Repositories implements vscode.Disposable {
  private readonly byFolder = new Map<string, Promise<(FoundRepository & { watcher: vscode.Disposable }) | null>>();

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly moved: () => void,
    /** The GitLab instance whose projects are named by their full path. */
    private readonly gitlabUrl: () => string,
  ) {}

  /** The repository holding a file (or, given `folder/.`, a folder); null outside any. */
  async holding(fsPath: string): Promise<FoundRepository | null> {
    const folder = dirname(fsPath);
    let entry = this.byFolder.get(folder);
    if (!entry) {
      entry = this.open(folder);
      this.byFolder.set(folder, entry);
    }
    const found = await entry;
    return found ? { repo: found.repo, slug: found.slug } : null;
  }

  private async open(folder: string): Promise<(FoundRepository & { watcher: vscode.Disposable }) | null> {
    try {
      const repo = await Repository.open(folder);
      const watcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(repo.root), '.git/{HEAD,packed-refs,refs/**}'),
      );
      watcher.onDidChange(this.moved);
      watcher.onDidCreate(this.moved);
      watcher.onDidDelete(this.moved);
      return { repo, slug: await repo.originSlug(this.gitlabUrl()), watcher };
    } catch (e) {
      if (!GitError.is(e, 'notARepository')) this.log.warn(`git: ${(e as Error).message}`);
      return null;
    }
  }

  dispose(): void {
    for (const entry of this.byFolder.values()) {
      void entry.then((e) => {
        e?.watcher.dispose();
      });
    }
  }
}
