/**
 * The human format of `lineage blame`: one row per line, compact enough for a terminal, coloured
 * only when writing to a TTY. Every string from outside (commit summaries, names, finding titles)
 * has control characters removed before it reaches the terminal.
 */
import { protectionText } from '../core/present/protection';
import type { FileLineage, LineLineage } from '../core/lineage/lineLineage';
import { relativeAge, shortTime } from '../core/present/age';
import { changeRef } from '../core/present/changeRef';

/** Whether a stream is a terminal: `isTTY` is typed boolean but absent when output is piped or redirected. */
export function isTerminal(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true;
}

/** Strips terminal control sequences and other control characters from outside text. */
export function terminalSafe(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

function pad(text: string, width: number): string {
  const t = text.length > width ? `${text.slice(0, width - 1)}…` : text;
  return t.padEnd(width);
}

/**
 * A deployment's id as people read it: short ids whole; a long one (a CDEvents subject, a
 * generated id of 90 characters) by the start of its last part, as git shortens a commit id. The
 * full id is in --json.
 */
export function deploymentLabel(id: string): string {
  if (id.length <= 16) return id;
  const last = id.split(/[:/]/).filter(Boolean).pop() ?? id;
  return `…${last.length <= 12 ? last : last.slice(0, 8)}`;
}

/** Who approved the line's pull request: names, a stale approval marked with *, "-" for none. */
function approvers(l: LineLineage): string {
  if (!l.pullRequest) return '';
  const approved = l.approvals.filter((a) => a.state === 'approved');
  return approved.length === 0 ? '-' : approved.map((a) => `${a.reviewer}${a.stale ? '*' : ''}`).join(',');
}

export function formatBlame(report: FileLineage, lines: LineLineage[], color: boolean, now = Date.now()): string {
  const c = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const out: string[] = [];
  const envNames = report.environments.map((e) => e.name);
  for (const notice of report.notices) out.push(c('33', `notice: ${terminalSafe(notice)}`));
  for (const env of report.environments) {
    const where = env.commit
      ? `${env.commit.slice(0, 7)} ${env.kind && env.kind !== 'deploy' ? `${terminalSafe(env.kind)} ` : ''}deployed ${shortTime(env.at)}${env.actor ? ` by ${terminalSafe(env.actor)}` : ''}${env.approvedBy?.length ? `, approved by ${env.approvedBy.map((a) => terminalSafe(a)).join(', ')}` : ''}${env.verifiedWorkflow ? `, by workflow ${terminalSafe(env.verifiedWorkflow.workflow)} (verified)` : ''} (deployment ${terminalSafe(deploymentLabel(env.deploymentId ?? '?'))})`
      : 'nothing deployed';
    out.push(
      c('2', `${env.name}: ${where}${protectionText(env.protection, terminalSafe)}${env.note ? `  ${terminalSafe(env.note)}` : ''}`),
    );
  }
  const width = String(lines[lines.length - 1]?.line ?? 1).length;
  for (const l of lines) {
    const commit = l.commit
      ? `${l.commit.sha.slice(0, 7)} ${pad(terminalSafe(l.commit.author), 14)} ${relativeAge(l.commit.time, now).padStart(4)}`
      : c('33', pad('not committed', 7 + 1 + 14 + 1 + 4));
    const envs = envNames
      .map((name) => {
        const e = l.environments.find((x) => x.name === name);
        if (!e || e.live === null) return c('2', `? ${name}`);
        return e.live ? c('32', `● ${name}`) : c('2', `○ ${name}`);
      })
      .join(' ');
    const pr = l.pullRequest ? changeRef(l.pullRequest) : '';
    const approvedBy = terminalSafe(approvers(l));
    const stale = l.approvals.some((a) => a.stale) ? c('31', ' stale-approval') : '';
    const findings =
      l.findings.length > 0 ? c('31', ` ⚠ ${l.findings.map((f) => `${f.severity}: ${terminalSafe(f.title)}`).join('; ')}`) : '';
    out.push(
      `${String(l.line).padStart(width)} ${commit} ${pad(pr, 5)} ${pad(approvedBy, 12)} ${envs}${stale}${findings} │ ${terminalSafe(l.text)}`,
    );
  }
  return out.join('\n');
}
