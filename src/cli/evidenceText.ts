/**
 * `lineage evidence` for a person at a terminal: the same items as the Markdown document, as
 * aligned plain text (no table syntax, no Markdown escapes), every outside string cleaned of
 * control characters.
 */
import { evidenceHeadings, type Evidence } from '../core/evidence/evidenceChain';
import { terminalSafe } from './blameFormat';

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

export function evidenceText(e: Evidence): string {
  const subject =
    e.subject.kind === 'line'
      ? `${terminalSafe(e.subject.path)}:${e.subject.line} (commit ${e.subject.commit.slice(0, 12)})`
      : `deployment ${terminalSafe(e.subject.id)}`;
  const out = [
    `Evidence: ${subject}, repository ${terminalSafe(e.repo)}`,
    'Each item names the source event that recorded it and the audit-log entry covering that event.',
    '',
  ];
  for (const i of e.items) {
    const at = i.at ? `  ${i.at.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}` : '';
    out.push(`${evidenceHeadings[i.kind].padEnd(13)} ${clip(terminalSafe(i.id), 40)}  ${clip(terminalSafe(i.summary), 90)}${at}`);
    const recorded = i.eventKey ? `event ${clip(terminalSafe(i.eventKey), 80)}` : 'known to git only';
    out.push(`${' '.repeat(14)}${recorded}${i.audit ? `, audit entry #${i.audit.seq} (${i.audit.hash.slice(0, 16)}…)` : ''}`);
  }
  const cp = e.audit?.checkpoint;
  const signed = cp ? `; latest signed checkpoint #${cp.seq} (key ${terminalSafe(cp.keyId)})` : '';
  out.push(
    '',
    !e.audit
      ? 'Audit log not verified: the service could not verify it.'
      : e.audit.ok
        ? `Audit log verified: ${e.audit.entries} entries recomputed and every served row re-derived from its events, chain intact (head ${(e.audit.head ?? '').slice(0, 16)}…)${signed}.`
        : `Audit log BROKEN at entry ${e.audit.brokenAt ?? '?'}: ${terminalSafe(e.audit.reason ?? '')}`,
  );
  return out.join('\n');
}
