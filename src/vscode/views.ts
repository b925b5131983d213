/**
 * The "Code Lineage" activity-bar views: Environments (the current deployment of each, and the
 * commits waiting between one environment and the next), Findings (by severity, then file) and
 * the lineage of the current line.
 */
import * as vscode from 'vscode';
import { checkRevision } from '../core/git/gitRunner';
import type { Repository } from '../core/git/repository';
import type { LineLineage } from '../core/lineage/lineLineage';
import { orderEnvironments } from '../core/present/environments';
import { relativeAge, shortTime } from '../core/present/age';
import { plainText } from '../core/present/markdown';
import type { Environment, Finding } from '../core/model/domain';
import { undidBy } from '../core/lineage/rollbacks';
import { DeployTagSource } from '../core/sources/deployTags';
import type { LineageController } from './lineageController';
import { changeRef } from '../core/present/changeRef';

export interface Node {
  label: string;
  description?: string;
  tooltip?: string;
  icon?: string;
  command?: vscode.Command;
  children?: () => Promise<Node[]> | Node[];
  contextValue?: string;
}

function toItem(node: Node): vscode.TreeItem {
  const item = new vscode.TreeItem(
    plainText(node.label, 200),
    node.children ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  item.description = node.description ? plainText(node.description, 200) : undefined;
  item.tooltip = node.tooltip ? plainText(node.tooltip, 500) : undefined;
  item.iconPath = node.icon ? new vscode.ThemeIcon(node.icon) : undefined;
  item.command = node.command;
  item.contextValue = node.contextValue;
  return item;
}

/** A tree whose roots are recomputed on refresh; tests read `roots()` directly. */
export abstract class NodeTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  abstract roots(): Promise<Node[]>;

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return toItem(node);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) return this.roots();
    return node.children ? await node.children() : [];
  }
}

export class EnvironmentsTree extends NodeTree {
  constructor(private readonly controller: LineageController) {
    super();
  }

  async roots(): Promise<Node[]> {
    if (!this.controller.trusted) return [{ label: 'Trust this workspace to see its environments', icon: 'shield' }];
    const found = await this.controller.activeRepository();
    // Nothing to show: the view's welcome content (package.json, viewsWelcome) says what fills it.
    if (!found) return [];
    // The same source as the hover: the service, GitHub, or deploy tags.
    const chosen = await this.controller.chosenSource(found.repo);
    const source = chosen.source;
    let envs: Environment[];
    try {
      envs =
        found.slug || source.kind === 'git'
          ? await source.environments(found.slug ?? '')
          : await new DeployTagSource(found.repo).environments();
    } catch (e) {
      return [{ label: `Cannot read ${sourceName[source.kind]}: ${(e as Error).message}`, icon: 'warning' }];
    }
    const signInTo = chosen.signInTo ?? null;
    if (envs.length === 0 && signInTo)
      return [
        {
          label: `Sign in to GitHub to see the environments on ${signInTo}`,
          icon: 'github',
          command: { command: 'lineage.signInGitHub', title: 'Sign in to GitHub' },
        },
      ];
    if (envs.length === 0) return [{ label: 'No deployments recorded yet', icon: 'info' }];
    const ordered = orderEnvironments(envs, {
      order: this.controller.settings.environmentOrder,
      production: this.controller.settings.production,
    });
    // A rollback running now names what it undid, from the environment's history.
    const undid = new Map<string, string>();
    await Promise.all(
      ordered
        .filter((e) => e.deployment?.kind === 'rollback')
        .map(async (e) => {
          const history = await source.history(found.slug ?? '', e.name, 50).catch(() => []);
          const undone = undidBy(history).get(e.deployment!.id);
          if (undone) undid.set(e.name, undone.id);
        }),
    );
    return ordered.map((env, i) => {
      const d = env.deployment;
      const earlier = ordered[i - 1]?.deployment?.commit;
      const rollback = d?.kind === 'rollback' ? ` · rollback${undid.has(env.name) ? ` of ${undid.get(env.name)}` : ''}` : '';
      return {
        label: env.name,
        icon: env.name === this.controller.settings.production ? 'rocket' : 'server-environment',
        description: d
          ? `${d.commit ? d.commit.slice(0, 7) : 'no commit'}${rollback} · ${relativeAge(d.at)} ago${d.actor ? ` · ${d.actor}` : ''}`
          : 'nothing deployed',
        tooltip: d
          ? `Deployment ${d.id} (${d.kind}${undid.has(env.name) ? `, undoing ${undid.get(env.name)}` : ''}) at ${shortTime(d.at)}${d.artifact ? `\nartifact ${d.artifact}` : ''}`
          : undefined,
        contextValue: 'environment',
        children:
          d?.commit && earlier && earlier !== d.commit
            ? () => commitsBetween(found.repo, d.commit!, earlier, ordered[i - 1]!.name)
            : undefined,
      };
    });
  }
}

/** Commits deployed to the earlier environment and not yet to this one. */
async function commitsBetween(repo: Repository, deployed: string, earlier: string, earlierName: string): Promise<Node[]> {
  try {
    const out = await repo.run([
      'log',
      '--max-count=50',
      '--format=%H%x00%an%x00%aI%x00%s',
      '--end-of-options',
      `${checkRevision(deployed)}..${checkRevision(earlier)}`,
    ]);
    const nodes = out
      .split('\n')
      .filter(Boolean)
      .map((line): Node => {
        const [sha, author, at, summary] = line.split('\0');
        return {
          label: summary ?? '',
          description: `${sha!.slice(0, 7)} · ${author} · ${relativeAge(at!)} ago`,
          icon: 'git-commit',
          tooltip: `In ${earlierName}, not deployed here yet`,
        };
      });
    return nodes.length > 0 ? nodes : [{ label: `Nothing from ${earlierName} waiting`, icon: 'check' }];
  } catch (e) {
    return [{ label: `Deployed revisions not in this clone: git fetch (${(e as Error).message})`, icon: 'warning' }];
  }
}

const severityOrder = ['critical', 'high', 'medium', 'low', 'info'];
const sourceName = { service: 'the service', github: 'GitHub', gitlab: 'GitLab', git: 'the deploy tags' } as const;

export class FindingsTree extends NodeTree {
  constructor(private readonly controller: LineageController) {
    super();
  }

  async roots(): Promise<Node[]> {
    if (!this.controller.trusted) return [{ label: 'Trust this workspace to see its findings', icon: 'shield' }];
    const found = await this.controller.activeRepository();
    if (!found) return [];
    const source = (await this.controller.chosenSource(found.repo)).source;
    if (!found.slug || !source.openFindings) {
      return [
        {
          label: 'Findings come from the traceability service or GitHub code scanning: configure the service, or sign in to GitHub',
          icon: 'info',
          command: { command: 'lineage.configureService', title: 'Configure' },
        },
      ];
    }
    let findings: Finding[];
    try {
      findings = await source.openFindings(found.slug);
    } catch (e) {
      return [{ label: `Cannot read ${sourceName[source.kind]}: ${(e as Error).message}`, icon: 'warning' }];
    }
    const unknown = source.notices?.().find((n) => n.about === 'findings');
    if (unknown) return [{ label: unknown.message, icon: 'warning', tooltip: unknown.message }];
    if (findings.length === 0) return [{ label: 'No open findings', icon: 'check' }];
    const root = found.repo.root;
    // Orphaned findings tie to no revision: listed apart, never placed on what runs now.
    const orphaned = findings.filter((f) => f.link?.how === 'none');
    const linked = findings.filter((f) => f.link?.how !== 'none');
    const nodes: Node[] = severityOrder
      .map((severity) => ({ severity, list: linked.filter((f) => f.severity === severity) }))
      .filter((g) => g.list.length > 0)
      .map(({ severity, list }) => ({
        label: severity,
        description: String(list.length),
        icon: severity === 'critical' || severity === 'high' ? 'error' : severity === 'medium' ? 'warning' : 'info',
        children: () => byFile(list, root),
      }));
    if (orphaned.length > 0) {
      nodes.push({
        label: 'Orphaned',
        description: String(orphaned.length),
        icon: 'question',
        tooltip: 'Findings that name no commit, no known artifact and no revision: which code they are about is unknown',
        children: () => byFile(orphaned, root),
      });
    }
    return nodes;
  }
}

function byFile(findings: Finding[], root: string): Node[] {
  const files = new Map<string, Finding[]>();
  for (const f of findings) {
    const path = f.locations[0]?.path ?? '(no location)';
    files.set(path, [...(files.get(path) ?? []), f]);
  }
  return [...files.entries()].map(([path, list]) => ({
    label: path,
    description: String(list.length),
    icon: 'file',
    children: () =>
      list.map((f) => ({
        label: f.title,
        description: `${f.id}${f.environment ? ` · ${f.environment}` : ''}`,
        icon: 'bug',
        tooltip: f.detail ?? f.title,
        command:
          f.locations[0] && !path.includes('..')
            ? {
                command: 'lineage.revealFinding',
                title: 'Open',
                arguments: [{ id: f.id, file: vscode.Uri.joinPath(vscode.Uri.file(root), path).fsPath, line: f.locations[0].line ?? 1 }],
              }
            : undefined,
      })),
  }));
}

/** The lineage of the line the cursor is on, or of the line a command asked for. */
export class LineLineageTree extends NodeTree {
  private target: { uri: vscode.Uri; line: number } | null = null;

  constructor(private readonly controller: LineageController) {
    super();
  }

  show(uri: vscode.Uri, line: number): void {
    this.target = { uri, line };
    this.refresh();
  }

  async roots(): Promise<Node[]> {
    const editor = vscode.window.activeTextEditor;
    const target = this.target ?? (editor ? { uri: editor.document.uri, line: editor.selection.active.line + 1 } : null);
    if (!target) return [];
    if (!this.controller.trusted) return [{ label: 'Trust this workspace to see lineage', icon: 'shield' }];
    const doc = await vscode.workspace.openTextDocument(target.uri);
    const result = await this.controller.lineage(doc);
    if (!result.ok) return [{ label: `No lineage: ${result.reason}`, icon: 'info' }];
    const line = result.file.lines[target.line - 1];
    return line ? lineNodes(line, this.controller) : [{ label: 'Past the end of the file', icon: 'info' }];
  }
}

function lineNodes(line: LineLineage, controller: LineageController): Node[] {
  const nodes: Node[] = [];
  const c = line.commit;
  nodes.push(
    c
      ? { label: c.summary, description: `${c.sha.slice(0, 7)} · ${c.author} · ${relativeAge(c.time)} ago`, icon: 'git-commit' }
      : { label: 'Not committed', icon: 'edit' },
  );
  if (line.pullRequest) {
    const pr = line.pullRequest;
    nodes.push({
      label: `${changeRef(pr)} ${pr.title ?? ''}`,
      description: pr.state,
      icon: 'git-pull-request',
      command: { command: 'lineage.openPullRequest', title: 'Open', arguments: [{ url: pr.url }] },
      children: line.approvals.length
        ? () =>
            line.approvals.map((a) => ({
              label: a.reviewer,
              description: `${a.state}${a.commit ? ` on ${a.commit.slice(0, 7)}` : ''}${a.stale ? ' · stale' : ''}`,
              icon: a.stale ? 'warning' : 'pass',
            }))
        : undefined,
    });
  }
  const policy = { order: controller.settings.environmentOrder, production: controller.settings.production };
  for (const env of orderEnvironments(line.environments, policy)) {
    const s = env.since;
    nodes.push({
      label: env.name,
      description:
        env.live === null
          ? 'unknown'
          : env.live
            ? `live${s ? ` since ${s.deploymentId} · ${shortTime(s.at)}${s.actor ? ` · ${s.actor}` : ''}` : ''}`
            : 'pending',
      icon: env.live ? 'circle-filled' : 'circle-outline',
      tooltip: s?.artifact ? `artifact ${s.artifact}` : undefined,
    });
  }
  for (const f of line.findings) {
    nodes.push({
      label: f.title,
      description: `${f.severity} · ${f.id}`,
      icon: 'bug',
      command: { command: 'lineage.openFinding', title: 'Open', arguments: [{ id: f.id }] },
    });
  }
  return nodes;
}

/** The current branch's pull request, its reviews and their freshness, and the policy's verdict. */
export class ApprovalsTree extends NodeTree {
  constructor(private readonly controller: LineageController) {
    super();
  }

  async roots(): Promise<Node[]> {
    if (!this.controller.trusted) return [{ label: 'Trust this workspace to check approvals', icon: 'shield' }];
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc) return [];
    const state = await this.controller.approvalState(doc);
    if (!state.ok) return [{ label: state.reason, icon: 'info' }];
    const { result } = state;
    if (result.nothingToCheck) return [{ label: `Nothing to review: this branch adds no commits to ${result.base}`, icon: 'check' }];
    const nodes: Node[] = [];
    const pr = result.pullRequest;
    nodes.push(
      pr
        ? {
            label: changeRef(pr),
            description: `${result.commits} commit(s) on ${result.base}${pr.author ? ` · by ${pr.author}` : ''}`,
            icon: 'git-pull-request',
            command: pr.url ? { command: 'lineage.openPullRequest', title: 'Open', arguments: [{ url: pr.url }] } : undefined,
          }
        : { label: 'No pull request found for HEAD', icon: 'warning' },
    );
    for (const a of result.approvals) {
      nodes.push({
        label: a.reviewer,
        description: `${a.state}${a.commit ? ` on ${a.commit.slice(0, 7)}` : ''}${a.stale ? ' · stale' : a.state === 'approved' ? ' · fresh' : ''}`,
        icon: a.stale ? 'warning' : a.state === 'approved' ? 'pass' : 'circle-outline',
      });
    }
    const blocking = result.violations.filter((v) => v.severity === 'blocking').length;
    nodes.push({
      label: blocking > 0 ? `${blocking} blocking violation(s)` : 'Policy passed',
      description: `${state.policyFile ?? 'default policy'} from ${result.base}`,
      icon: blocking > 0 ? 'error' : 'check',
      children: result.violations.length
        ? () =>
            result.violations.map((v) => ({
              label: v.rule,
              description: v.message,
              tooltip: v.message,
              icon: v.severity === 'blocking' ? 'error' : 'info',
            }))
        : undefined,
    });
    return nodes;
  }
}
