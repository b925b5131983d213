/**
 * The "Code Lineage" commands. Arguments can arrive from hover links, so each command validates
 * what it is given (zod) and opens only https URLs.
 */
import * as vscode from 'vscode';
import { z } from 'zod';
import { evidenceForLine, evidenceMarkdown } from '../core/evidence/evidenceChain';
import { renderLineHover } from '../core/present/lineHover';
import { plainText, safeHttpsUrl } from '../core/present/markdown';
import { githubWebHost } from '../core/sources/sourceChoice';
import { ApiError } from '../core/sources/apiError';
import { GitHubError } from '../core/sources/github/githubClient';
import { RateLimit } from '../core/sources/github/githubMappings';
import type { LineageDecorations } from './decorations';
import { showMarkdown } from './markdownDocument';
import { GitLabError } from '../core/sources/gitlab/gitlabError';
import { gitlabTokenKey, tokenKey, type LineageController } from './lineageController';
import type { TimelinePanel } from './timelinePanel';
import type { EnvironmentsTree, FindingsTree, LineLineageTree } from './views';

const LineArg = z.object({ path: z.string().min(1).max(4096), line: z.number().int().min(1) });
const UrlArg = z.object({ url: z.string().nullable() });
const FindingArg = z.object({ id: z.string().min(1).max(500) });
const RevealArg = z.object({ id: z.string().max(500), file: z.string().min(1), line: z.number().int().min(1) });
const DeploymentArg = z.object({ environment: z.string().min(1).max(200), deploymentId: z.string().min(1).max(500) });

export interface CommandDeps {
  context: vscode.ExtensionContext;
  controller: LineageController;
  decorations: LineageDecorations;
  environments: EnvironmentsTree;
  findings: FindingsTree;
  lineView: LineLineageTree;
  timeline: TimelinePanel;
}

/** The file and line a command is about: its argument when valid, else the cursor. */
function targetLine(arg: unknown): { uri: vscode.Uri; line: number } | null {
  const parsed = LineArg.safeParse(arg);
  const editor = vscode.window.activeTextEditor;
  if (parsed.success) {
    const { path, line } = parsed.data;
    if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return { uri: vscode.Uri.file(path), line };
    // Hover links carry the repository-relative path of the document the hover was on.
    if (editor && editor.document.uri.fsPath.replace(/\\/g, '/').endsWith(`/${path}`)) return { uri: editor.document.uri, line };
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder && !path.split('/').includes('..') ? { uri: vscode.Uri.joinPath(folder.uri, path), line } : null;
  }
  return editor ? { uri: editor.document.uri, line: editor.selection.active.line + 1 } : null;
}

async function openHttps(url: string | null | undefined, what: string): Promise<void> {
  const safe = safeHttpsUrl(url);
  if (!safe) {
    void vscode.window.showInformationMessage(`Code Lineage: this ${what} has no https link.`);
    return;
  }
  await vscode.env.openExternal(vscode.Uri.parse(safe));
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { context, controller } = deps;
  const policy = () => ({ order: controller.settings.environmentOrder, production: controller.settings.production });
  const requireTrust = (): boolean => {
    if (controller.trusted) return true;
    void vscode.window
      .showWarningMessage('Code Lineage runs no git process and makes no network call in an untrusted workspace.', 'Manage Workspace Trust')
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      });
    return false;
  };

  return [
    vscode.commands.registerCommand('lineage.refresh', () => {
      controller.refresh('refresh command');
      deps.environments.refresh();
      deps.findings.refresh();
      deps.lineView.refresh();
    }),
    vscode.commands.registerCommand('lineage.toggleAnnotations', () => {
      const on = deps.decorations.toggleAnnotations();
      void vscode.window.setStatusBarMessage(`Code Lineage: current-line annotation ${on ? 'on' : 'off'}`, 2000);
      return on;
    }),
    vscode.commands.registerCommand('lineage.showLineLineage', async (arg?: unknown) => {
      const target = targetLine(arg);
      if (!target || !requireTrust()) return;
      deps.lineView.show(target.uri, target.line);
      await vscode.commands.executeCommand('lineage.lineLineage.focus');
    }),
    vscode.commands.registerCommand('lineage.copyLineLineage', async (arg?: unknown) => {
      const target = targetLine(arg);
      if (!target || !requireTrust()) return;
      const doc = await vscode.workspace.openTextDocument(target.uri);
      const result = await controller.lineage(doc);
      const line = result.ok ? result.file.lines[target.line - 1] : undefined;
      if (!result.ok || !line) {
        void vscode.window.showWarningMessage(`Code Lineage: no lineage for this line${result.ok ? '' : ` (${result.reason})`}.`);
        return;
      }
      const text = `**${result.file.path}:${target.line}**\n\n${renderLineHover(result.file, line, { policy: policy(), links: false, notice: result.notice })}`;
      await vscode.env.clipboard.writeText(text);
      void vscode.window.setStatusBarMessage('Code Lineage: lineage copied as Markdown', 2000);
      return text;
    }),
    vscode.commands.registerCommand('lineage.openPullRequest', async (arg?: unknown) => {
      const parsed = UrlArg.safeParse(arg);
      if (parsed.success) return openHttps(parsed.data.url, 'pull request');
      const target = targetLine(undefined);
      if (!target || !requireTrust()) return;
      const result = await controller.lineage(await vscode.workspace.openTextDocument(target.uri));
      return openHttps(result.ok ? result.file.lines[target.line - 1]?.pullRequest?.url : null, 'pull request');
    }),
    vscode.commands.registerCommand('lineage.openDeployment', async (arg?: unknown) => {
      const parsed = DeploymentArg.safeParse(arg);
      if (!parsed.success || !requireTrust()) return;
      const { environment, deploymentId } = parsed.data;
      const found = await controller.activeRepository();
      if (!found) {
        void vscode.window.showInformationMessage('Code Lineage: open a file of the repository to follow a deployment link.');
        return;
      }
      try {
        // The source in use answers: the service by id, GitHub or deploy tags from the environment's history.
        const answer = await controller.session.deployment(found.repo, found.slug, environment, deploymentId);
        if (answer.deployment?.url) {
          await openHttps(answer.deployment.url, 'deployment');
          return;
        }
        const from = answer.source === 'service' ? 'the service' : answer.source === 'github' ? 'GitHub' : 'a deploy tag';
        void vscode.window.showInformationMessage(
          plainText(
            answer.deployment
              ? `Deployment ${deploymentId} to ${environment} (from ${from}; it has no link).`
              : `Code Lineage: deployment ${deploymentId} was not found in ${from}.`,
            300,
          ),
        );
      } catch (e) {
        void vscode.window.showWarningMessage(`Code Lineage: ${plainText((e as Error).message, 300)}`);
      }
    }),
    vscode.commands.registerCommand('lineage.openFinding', async (arg?: unknown) => {
      const parsed = FindingArg.safeParse(arg);
      if (!parsed.success || !requireTrust()) return;
      const found = await controller.activeRepository();
      try {
        // The source in use: the service, or GitHub's code-scanning alerts.
        const finding = found ? await controller.session.finding(found.repo, found.slug, parsed.data.id) : null;
        await openHttps(finding?.url, 'finding');
        return;
      } catch (e) {
        void vscode.window.showWarningMessage(`Code Lineage: ${plainText((e as Error).message, 300)}`);
      }
    }),
    vscode.commands.registerCommand('lineage.revealFinding', async (arg?: unknown) => {
      const parsed = RevealArg.safeParse(arg);
      if (!parsed.success || !requireTrust()) return;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(parsed.data.file));
      // The finding's line is at the revision it was reported against; the lineage maps it here.
      const result = await controller.lineage(doc);
      const mapped = result.ok ? result.file.lines.find((l) => l.findings.some((f) => f.id === parsed.data.id))?.line : undefined;
      const line = Math.min(doc.lineCount, mapped ?? parsed.data.line) - 1;
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(line, 0, line, 0);
      editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenter);
    }),
    vscode.commands.registerCommand('lineage.showEvidence', async (arg?: unknown) => {
      const target = targetLine(arg);
      if (!target || !requireTrust()) return;
      const client = await controller.session.serviceClient();
      const doc = await vscode.workspace.openTextDocument(target.uri);
      const result = await controller.lineage(doc);
      const line = result.ok ? result.file.lines[target.line - 1] : undefined;
      if (!client || !result.ok || !result.file.repo || !line?.commit) {
        void vscode.window.showInformationMessage('Code Lineage: evidence needs the traceability service and a committed line.');
        return;
      }
      const evidence = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Code Lineage: gathering evidence…' },
        () =>
          evidenceForLine(
            client,
            result.file.repo!,
            result.file.path,
            target.line,
            line.commit!.sha,
            line.findings.map((f) => f.id),
            (sha) => controller.session.signature(result.repo, sha),
          ),
      );
      const markdown = evidenceMarkdown(evidence);
      await showMarkdown(markdown);
      return markdown;
    }),
    vscode.commands.registerCommand('lineage.showTimeline', async (arg?: unknown) => {
      // The panel explains itself in an untrusted workspace, so it opens either way.
      const target = LineArg.safeParse(arg).success ? targetLine(arg) : undefined;
      await deps.timeline.show(target ?? undefined);
    }),
    vscode.commands.registerCommand('lineage.showEnvironments', () => vscode.commands.executeCommand('lineage.environments.focus')),
    vscode.commands.registerCommand('lineage.showFindings', () => vscode.commands.executeCommand('lineage.findings.focus')),
    vscode.commands.registerCommand('lineage.configureService', async () => {
      const url = await vscode.window.showInputBox({
        title: 'Code Lineage: traceability service URL',
        value: controller.settings.apiUrl || 'http://127.0.0.1:7420',
        validateInput: (v) => (/^https?:\/\/[^\s]+$/.test(v) ? undefined : 'Enter an http(s) URL'),
      });
      if (url === undefined) return;
      await vscode.workspace.getConfiguration('lineage').update('api.url', url, vscode.ConfigurationTarget.Global);
      const token = await vscode.window.showInputBox({ title: 'Read token (leave empty for none)', password: true, ignoreFocusOut: true });
      if (token) await context.secrets.store(tokenKey, token);
      else if (token === '') await context.secrets.delete(tokenKey);
      controller.log.info(`service URL set to ${url}; token ${token ? 'stored in secret storage' : 'not set'}`);
    }),
    vscode.commands.registerCommand('lineage.setGitLabToken', async () => {
      const instance = controller.gitlabUrl();
      const token = await vscode.window.showInputBox({
        title: `Code Lineage: GitLab token for ${instance} (read_api; leave empty to remove)`,
        password: true,
        ignoreFocusOut: true,
      });
      if (token === undefined) return;
      // Kept with its instance: a token is never sent to another GitLab after lineage.gitlab.url changes.
      if (token) await context.secrets.store(gitlabTokenKey, JSON.stringify({ instance, token: token.trim() }));
      else await context.secrets.delete(gitlabTokenKey);
      controller.log.info(`GitLab token for ${instance} ${token ? 'stored in secret storage' : 'removed'}`);
    }),
    vscode.commands.registerCommand('lineage.showServiceStatus', async () => {
      if (!requireTrust()) return;
      // Which source the lineage comes from, and whether it answers: the service, GitHub or deploy tags.
      const found = await controller.activeRepository();
      const client = await controller.session.serviceClient();
      const chosen = found ? await controller.chosenSource(found.repo) : null;
      try {
        let message: string;
        if (chosen?.source.kind === 'github' && chosen.github) {
          const limits = await chosen.github.get('/rate_limit', {}, RateLimit);
          const unknown = (chosen.source.notices?.() ?? []).map((n) => n.message);
          message = `Code Lineage reads ${chosen.why}: rate limit ${limits.resources.core.remaining}/${limits.resources.core.limit} left${unknown.length ? `; ${unknown.join('; ')}` : ''}.`;
        } else if (chosen?.source.kind === 'gitlab' && chosen.gitlab) {
          // The environments answer says whether the token reads the project; the rate limit comes with it.
          if (found?.slug) await chosen.source.environments(found.slug);
          const limit = chosen.gitlab.rateLimit;
          const unknown = (chosen.source.notices?.() ?? []).map((n) => n.message);
          message = `Code Lineage reads ${chosen.why}${limit ? `: rate limit ${limit.remaining}/${limit.limit} left` : ''}${unknown.length ? `; ${unknown.join('; ')}` : ''}.`;
        } else if (client && (!chosen || chosen.source.kind === 'service')) {
          const health = await client.health();
          message = `Code Lineage service ${health.version}: ${health.events} events (${health.store} store).`;
        } else {
          const hint = chosen?.signInTo;
          message = `Code Lineage reads deploy tags: ${chosen?.why ?? 'no repository open'}.${hint ? ' Run "Code Lineage: Sign in to GitHub" to read GitHub.' : ' Run "Code Lineage: Configure Service" to use a service.'}`;
        }
        void vscode.window.showInformationMessage(plainText(message, 400));
        return message;
      } catch (e) {
        const message = ApiError.is(e) || GitHubError.is(e) || GitLabError.is(e) ? e.message : String(e);
        controller.log.warn(`source status: ${message}`);
        void vscode.window.showWarningMessage(`Code Lineage: ${plainText(message, 300)}`);
        return message;
      }
    }),
    vscode.commands.registerCommand('lineage.signInGitHub', async () => {
      if (!requireTrust()) return;
      const problem = controller.github.sessionProblem();
      if (problem) {
        // The Enterprise provider signs in to the server its own setting names; offer to point it
        // at lineage.github.url's server rather than send one server's token to another.
        const want = `https://${githubWebHost(controller.github.apiUrl())}`;
        const choice = await vscode.window.showWarningMessage(
          `Code Lineage: ${plainText(problem, 300)}.`,
          `Set github-enterprise.uri to ${want}`,
        );
        if (!choice) return;
        await vscode.workspace.getConfiguration('github-enterprise').update('uri', want, vscode.ConfigurationTarget.Global);
      }
      // Asked for only when the user acts; VS Code keeps the session, this extension keeps nothing.
      const session = await vscode.authentication.getSession(controller.github.provider(), ['repo'], { createIfNone: true });
      controller.refresh('signed in to GitHub');
      void vscode.window.showInformationMessage(`Code Lineage: signed in to GitHub as ${plainText(session.account.label, 80)}.`);
    }),
  ];
}
