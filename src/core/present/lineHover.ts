/**
 * The hover of one line as Markdown: where it runs, how it got there, and what is going wrong
 * with it. Pure (no vscode), so the same text backs the hover, "copy lineage as Markdown" and
 * the tests. Every outside string is escaped; links are https or this extension's commands.
 */
import { protectionText } from './protection';
import type { FileLineage, LineLineage } from '../lineage/lineLineage';
import { relativeAge, shortTime } from './age';
import { orderEnvironments, type EnvironmentPolicy } from './environments';
import { signatureMeaning } from '../git/signatures';
import { linearPattern } from '../policy/linearPattern';
import { commandLink, escapeMarkdown as md, httpsLink } from './markdown';
import { changeRef } from './changeRef';

export interface HoverOptions {
  policy: EnvironmentPolicy;
  /** The service's part has not arrived yet: say so instead of "pending everywhere". */
  loading?: boolean;
  /** Why the service's part is missing (down, not configured), shown once. */
  notice?: string | null;
  /** The last approval this line's commit came after, when the branch's policy says so. */
  changedAfterApproval?: { reviewer: string; commit: string } | null;
  /**
   * The branch's own pull request as `lineage check` judged it: its reviews are shown stale or
   * fresh by that verdict, so the hover and the Approvals view never disagree.
   */
  branchReview?: { pullRequest: number; stale: ReadonlySet<string> } | null;
  /** git's %G? verdict on the line's commit, when known. */
  signature?: string | null;
  /** The policy's change-reference pattern, and where a reference links to (`{ref}` replaced). */
  changeReference?: { pattern: string; urlTemplate: string | null } | null;
  /** The GitHub host whose deployments, reviews and alerts a sign-in would show (none without one). */
  signInTo?: string | null;
  /** Command links; off for copied Markdown, which leaves the editor. */
  links?: boolean;
  now?: number;
}

const short = (sha: string) => sha.slice(0, 7);

/** A digest in a code span only when it is one (code spans show backslash escapes literally). */
const digest = (value: string) => (/^[a-z0-9]+:[0-9a-f]{8,128}$/i.test(value) ? `\`${value.slice(0, 19)}…\`` : md(value));

export function renderLineHover(file: FileLineage, line: LineLineage, options: HoverOptions): string {
  const now = options.now ?? Date.now();
  const links = options.links ?? true;
  const out: string[] = [];
  const c = line.commit;
  if (c) {
    out.push(`**${md(c.author)}**, ${relativeAge(c.time, now)} ago (${shortTime(c.time)})  `);
    out.push(`\`${short(c.sha)}\` ${md(c.summary)}${signatureNote(options.signature)}`);
  } else {
    out.push('**Not committed**: this line exists only in your working copy.');
  }

  if (options.changedAfterApproval) {
    const a = options.changedAfterApproval;
    out.push('', `⚠ **Changed after ${md(a.reviewer)}'s approval** of \`${short(a.commit)}\`: no review covers this line yet.`);
  }

  const pr = line.pullRequest;
  if (pr) {
    const label = `${changeRef(pr)}${pr.title ? ` ${pr.title}` : ''}`;
    const link = links && pr.url ? httpsLink(label, pr.url) : md(label);
    out.push('', `**Pull request** ${link} (${md(pr.state)}${pr.author ? `, by ${md(pr.author)}` : ''})`);
  }
  const refs = options.changeReference && c ? changeReferences(`${c.summary}\n${pr?.title ?? ''}`, options.changeReference.pattern) : [];
  if (refs.length > 0) {
    const template = options.changeReference?.urlTemplate;
    const shown = refs.map((ref) => (links && template ? httpsLink(ref, template.replace('{ref}', encodeURIComponent(ref))) : md(ref)));
    out.push('', `**Change** ${shown.join(', ')}`);
  }
  if (line.checks.length > 0) {
    const items = line.checks.map((k) => {
      const verdict =
        k.conclusion === null
          ? k.status
          : k.kind === 'scan'
            ? k.conclusion === 'success'
              ? 'passed, nothing found'
              : 'found issues'
            : k.conclusion;
      const mark =
        k.conclusion === 'success' ? '✓' : k.conclusion === null || k.conclusion === 'neutral' || k.conclusion === 'skipped' ? '•' : '✗';
      const name = links && k.url ? httpsLink(k.name, k.url) : md(k.name);
      return `- ${mark} ${name}${k.kind === 'scan' ? ' (scan)' : ''}: ${md(verdict)}${k.at ? `, ${shortTime(k.at)}` : ''}`;
    });
    out.push('', `**Checks on \`${short(c!.sha)}\`**`, ...items);
  }
  if (line.approvals.length > 0) {
    const branch = options.branchReview && pr?.number === options.branchReview.pullRequest ? options.branchReview : null;
    const items = line.approvals.map((a) => {
      const on = a.commit ? ` on \`${short(a.commit)}\`` : '';
      const flag = branch
        ? branch.stale.has(a.reviewer)
          ? ' ⚠ **stale**: the change was modified after this approval'
          : ''
        : a.stale
          ? ' ⚠ **stale**: given before this line was written'
          : a.verified
            ? ''
            : ' (reviewed commit not in this clone)';
      return `- ${md(a.reviewer)}: ${md(a.state)}${on}${flag}`;
    });
    out.push('', '**Reviews**', ...items);
  } else if (c && pr) {
    out.push('', '**Reviews**: none recorded');
  }

  out.push('', '**Where it runs**');
  if (options.loading) {
    out.push('- _loading deployments…_');
  } else if (line.environments.length === 0 && options.signInTo) {
    const signIn = links
      ? commandLink('Sign in to GitHub', 'lineage.signInGitHub', [], `Read deployments, reviews and alerts from ${options.signInTo}`)
      : 'sign in to GitHub';
    out.push(`- deployments, reviews and alerts are on ${md(options.signInTo)}: ${signIn} to see them here`);
  } else if (line.environments.length === 0) {
    out.push(`- ${options.notice ? md(options.notice) : 'no deployments known for this repository'}`);
  } else {
    for (const env of orderEnvironments(line.environments, options.policy)) {
      const state = file.environments.find((e) => e.name === env.name);
      if (env.live === null) {
        out.push(`- ${md(env.name)}: unknown${state?.note ? `: ${md(state.note)}` : ''}`);
      } else if (!env.live) {
        const undone = state?.kind === 'rollback' && state.undid ? `; ${md(state.undid)} was rolled back there` : '';
        out.push(`- ○ ${md(env.name)}: pending (not deployed there${undone})`);
      } else {
        const s = env.since;
        const deployment = s
          ? links
            ? commandLink(
                s.deploymentId,
                'lineage.openDeployment',
                [{ environment: env.name, deploymentId: s.deploymentId }],
                'Open the deployment',
              )
            : md(s.deploymentId)
          : '';
        const detail = s
          ? ` since ${deployment}, ${shortTime(s.at)}${s.actor ? `, by ${md(s.actor)}${s.actorType ? ` (${s.actorType})` : ''}` : ''}${s.approvedBy?.length ? `, approved by ${s.approvedBy.map((a) => md(a)).join(', ')}` : ''}${s.verifiedWorkflow ? `, deployed by workflow ${md(s.verifiedWorkflow.workflow)}${s.verifiedWorkflow.ref ? ` on ${md(s.verifiedWorkflow.ref)}` : ''} (verified)` : ''}${s.artifact ? `, ${digest(s.artifact)}` : ''}`
          : '';
        const rollback = state?.kind === 'rollback' ? `; now a rollback${state.undid ? ` that undid ${md(state.undid)}` : ''}` : '';
        out.push(`- ● **${md(env.name)}**: live${detail}${rollback}${protectionText(state?.protection, md)}`);
      }
    }
    if (options.notice) out.push(`- _${md(options.notice)}_`);
  }

  if (!options.loading) {
    for (const r of rebuilds(file, options.policy)) {
      out.push(
        `- ⚠ **rebuilt**: ${md(r.later)} runs ${digest(r.laterDigest)} for \`${short(r.commit)}\`, not ${digest(r.earlierDigest)} that ${md(r.earlier)} ran`,
      );
    }
  }

  if (line.findings.length > 0) {
    out.push('', '**Findings on this line**');
    for (const f of line.findings) {
      const title = links ? commandLink(f.title, 'lineage.openFinding', [{ id: f.id }], 'Open the finding') : md(f.title);
      out.push(`- ${md(f.severity)}: ${title}${f.environment ? ` (${md(f.environment)})` : ''}`);
    }
  }

  if (links) {
    const at = [{ path: file.path, line: line.line }];
    out.push(
      '',
      `${commandLink('Show lineage', 'lineage.showLineLineage', at)} · ${commandLink('Timeline', 'lineage.showTimeline', at, 'The way of this file and line to production, drawn')} · ${commandLink('Copy as Markdown', 'lineage.copyLineLineage', at)}`,
    );
  }
  return out.join('\n');
}

/** The change references (ticket ids) the pattern finds, once each; a bare conventional prefix ("feat:") is not one. */
function changeReferences(text: string, pattern: string): string[] {
  let found: string[];
  try {
    found = linearPattern(pattern).matches(text, 20);
  } catch {
    return [];
  }
  return [...new Set(found.map((f) => f.trim()).filter((f) => /\d/.test(f) && f.length <= 100))];
}

/** A signed commit's verdict after its summary; nothing for an unsigned one (most repositories sign none). */
function signatureNote(signature: string | null | undefined): string {
  if (!signature || signature === 'N') return '';
  return signature === 'G' ? ' · ✓ signed' : ` · ⚠ ${signatureMeaning[signature] ?? `signature ${md(signature)}`}`;
}

/**
 * Promote, never rebuild: along the promotion order, an environment that runs the same commit as
 * the one before it but another digest runs something that was not validated there.
 */
function rebuilds(
  file: FileLineage,
  policy: EnvironmentPolicy,
): { earlier: string; later: string; commit: string; earlierDigest: string; laterDigest: string }[] {
  const running = orderEnvironments(
    file.environments.filter((e) => e.commit && e.artifact && policy.order.includes(e.name)),
    policy,
  );
  const out = [];
  for (let i = 1; i < running.length; i++) {
    const [a, b] = [running[i - 1]!, running[i]!];
    if (a.commit === b.commit && a.artifact !== b.artifact) {
      out.push({ earlier: a.name, later: b.name, commit: b.commit!, earlierDigest: a.artifact!, laterDigest: b.artifact! });
    }
  }
  return out;
}
