/**
 * A line's chain from what its lineage already says, for sources that keep no audit log (GitHub
 * directly, deploy tags): commit → pull request → reviews → checks → the deployments it has been
 * live in since → their approvals, and the findings on it. Each link carries the same checks as
 * the service's evidence (git's signature verdict, approvals current or stale, checks passed,
 * a deployer proven by OIDC); no item has an audit entry, and the picture says why.
 */
import type { FileLineage, LineLineage } from '../lineage/lineLineage';
import { buildCheck, itemRef, signatureCheck, type Evidence, type EvidenceItem } from './evidenceChain';

export function lineChain(file: FileLineage, line: LineLineage, signature: string | null): Evidence | null {
  const commit = line.commit;
  if (!commit || !file.repo) return null;
  const items: EvidenceItem[] = [];
  const add = (item: Omit<EvidenceItem, 'audit' | 'eventKey'>) => items.push({ ...item, eventKey: null, audit: null });
  const commitRef = itemRef('commit', commit.sha);
  add({
    kind: 'commit',
    id: commit.sha,
    summary: `${commit.summary} (${commit.author})`,
    at: commit.time,
    check: signature ? signatureCheck(signature) : undefined,
  });
  const pr = line.pullRequest;
  if (pr) {
    const prId = `#${pr.number}`;
    const approved = line.approvals.filter((a) => a.state === 'approved');
    add({
      kind: 'pull_request',
      id: prId,
      summary: `${pr.title ?? ''} (${pr.state}${pr.author ? `, by ${pr.author}` : ''})`,
      at: null,
      from: [commitRef],
      check: approved.length ? undefined : { state: 'failed', text: 'no approval' },
    });
    line.approvals.forEach((a, i) =>
      add({
        kind: 'review',
        id: `${pr.number}-${i + 1}-${a.reviewer}`,
        summary: `${a.reviewer}: ${a.state}${a.commit ? ` on ${a.commit.slice(0, 12)}` : ''}`,
        at: null,
        from: [itemRef('pull_request', prId)],
        check:
          a.state !== 'approved'
            ? undefined
            : a.stale
              ? { state: 'failed', text: 'stale: given before this commit' }
              : a.verified
                ? { state: 'verified', text: 'approval covers this commit' }
                : { state: 'unverified', text: 'the approved commit is not in this clone' },
      }),
    );
  }
  for (const c of line.checks)
    add({
      kind: 'build',
      id: `${c.kind}:${c.name}`,
      summary: `${c.kind} ${c.name}: ${c.status}${c.conclusion ? `, ${c.conclusion}` : ''}`,
      at: c.at,
      from: [commitRef],
      check: buildCheck(c.conclusion),
    });
  const deployed = new Map<string, string>();
  for (const env of line.environments) {
    const since = env.since;
    if (!env.live || !since) continue;
    const ref = itemRef('deployment', since.deploymentId);
    deployed.set(env.name, ref);
    add({
      kind: 'deployment',
      id: since.deploymentId,
      summary: `live in ${env.name} since this deployment${since.actor ? ` by ${since.actor}` : ''}${since.artifact ? `, ${since.artifact}` : ''}`,
      at: since.at,
      from: [commitRef],
      check: since.verifiedWorkflow
        ? { state: 'verified', text: `deployed by verified workflow ${since.verifiedWorkflow.workflow}` }
        : undefined,
    });
    for (const approver of since.approvedBy ?? [])
      add({
        kind: 'approval',
        id: `${since.deploymentId}:${approver}`,
        summary: `${approver}: approved`,
        at: null,
        from: [ref],
        check: { state: 'verified', text: 'approved' },
      });
  }
  for (const f of line.findings)
    add({
      kind: 'finding',
      id: f.id,
      summary: `${f.severity} ${f.kind}: ${f.title}${f.environment ? ` [${f.environment}]` : ''}`,
      at: null,
      from: [(f.environment && deployed.get(f.environment)) || commitRef],
    });
  return { subject: { kind: 'line', path: file.path, line: line.line, commit: commit.sha }, repo: file.repo, items, audit: null };
}
