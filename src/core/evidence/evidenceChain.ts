/**
 * The evidence an auditor asks for: the whole chain behind a line or a deployment (commit → pull
 * request → reviews → builds → artifact digests → attestations → deployments with their approvals
 * → findings), every item with the id of the source event that recorded it and the audit-log
 * entry (sequence number and chained hash) that covers that event, so each can be checked
 * against the service's hash-chained log (`GET /v1/audit/verify`).
 */
import type { AuditVerification, CommitLineage } from '../model/api';
import type { Attestation, Deployment, Finding } from '../model/domain';
import type { ApiClient } from '../sources/apiClient';
import { ApiError } from '../sources/apiError';
import { verifiedWorkflowOf } from '../lineage/verifiedWorkflow';
import { signatureMeaning } from '../git/signatures';
import { undoneBy } from '../lineage/rollbacks';
import { escapeMarkdown } from '../present/markdown';

export type EvidenceKind =
  'commit' | 'pull_request' | 'review' | 'build' | 'artifact' | 'attestation' | 'deployment' | 'approval' | 'finding';

/** Whether a link of the chain checks out: a signature, an attestation's match, a gate, a verified deployer. */
export interface LinkCheck {
  state: 'verified' | 'failed' | 'unverified' | 'none';
  text: string;
}

export interface EvidenceItem {
  kind: EvidenceKind;
  id: string;
  summary: string;
  at: string | null;
  eventKey: string | null;
  audit: { seq: number; hash: string } | null;
  /** The items this one follows from in the chain, as `<kind>:<id>` (a review from its pull request, a deployment from its artifact). */
  from?: string[];
  check?: LinkCheck;
}

export const itemRef = (kind: EvidenceKind, id: string) => `${kind}:${id}`;

export interface Evidence {
  subject: { kind: 'line'; path: string; line: number; commit: string } | { kind: 'deployment'; id: string; commit: string | null };
  repo: string;
  items: EvidenceItem[];
  /** The audit log's own verdict at the time the evidence was gathered. */
  audit: AuditVerification | null;
}

type Draft = Omit<EvidenceItem, 'audit'>;

function chainOf(l: CommitLineage, onlyDeployment?: string, commitFrom?: string[]): Draft[] {
  const items: Draft[] = [];
  const c = l.commit;
  const commitRef = itemRef('commit', l.sha);
  items.push({
    kind: 'commit',
    id: l.sha,
    summary: c?.message?.split('\n')[0] ?? '(commit known to git only)',
    at: c?.at ?? null,
    eventKey: null,
    from: commitFrom,
  });
  for (const pr of l.pullRequests) {
    const prRef = itemRef('pull_request', `#${pr.number}`);
    items.push({
      kind: 'pull_request',
      id: `#${pr.number}`,
      summary: `${pr.title ?? ''} (${pr.state}${pr.author ? `, by ${pr.author}` : ''})`,
      at: pr.mergedAt ?? pr.updatedAt,
      eventKey: pr.eventKey,
      from: [commitRef],
      check: pr.reviews.some((r) => r.state === 'approved') ? undefined : { state: 'failed', text: 'no approval' },
    });
    const order = pr.commits.map((x) => x.toLowerCase());
    for (const r of pr.reviews)
      items.push({
        kind: 'review',
        id: r.id,
        summary: `${r.reviewer}: ${r.state}${r.commit ? ` on ${r.commit.slice(0, 12)}` : ''}`,
        at: r.at,
        eventKey: r.eventKey,
        from: [prRef],
        check: r.state === 'approved' ? reviewCheck(order, r.commit, l.sha) : undefined,
      });
  }
  const artifactFrom = (a: CommitLineage['artifacts'][number]) =>
    a.buildId && l.builds.some((b) => b.id === a.buildId) ? [itemRef('build', a.buildId)] : [commitRef];
  for (const b of l.builds)
    items.push({
      kind: 'build',
      id: b.id,
      summary: `${b.kind} ${b.name ?? ''}: ${b.status}${b.conclusion ? `, ${b.conclusion}` : ''}`,
      at: b.finishedAt ?? b.startedAt,
      eventKey: b.eventKey,
      from: [commitRef],
      check: buildCheck(b.conclusion),
    });
  for (const a of l.artifacts)
    items.push({
      kind: 'artifact',
      id: a.digest,
      summary: a.name ?? a.purl ?? 'artifact',
      at: a.createdAt,
      eventKey: a.eventKey,
      from: artifactFrom(a),
    });
  for (const a of l.attestations)
    items.push({
      kind: 'attestation',
      id: a.id,
      summary: `${a.predicateType} for ${a.subjectDigest}${a.builder ? ` by ${a.builder}` : ''}${signatureSummary(a)}`,
      at: a.finishedAt,
      eventKey: a.eventKey,
      from: l.artifacts.some((x) => x.digest === a.subjectDigest) ? [itemRef('artifact', a.subjectDigest)] : [commitRef],
      check: attestationCheck(a, l.sha),
    });
  for (const d of l.deployments.filter((x) => !onlyDeployment || x.id === onlyDeployment))
    items.push(
      ...deploymentItems(
        d,
        d.artifact && l.artifacts.some((x) => x.digest === d.artifact) ? [itemRef('artifact', d.artifact)] : [commitRef],
      ),
    );
  return items;
}

/** An approval covers the line's commit when given on it or a later commit of the pull request. */
function reviewCheck(order: string[], reviewed: string | null, sha: string): LinkCheck {
  const at = reviewed ? order.indexOf(reviewed.toLowerCase()) : -1;
  const line = order.indexOf(sha.toLowerCase());
  if (at < 0 || line < 0) return { state: 'unverified', text: 'approved; which commits it covers is not known' };
  return at >= line
    ? { state: 'verified', text: 'approval covers this commit' }
    : { state: 'failed', text: 'stale: given before this commit' };
}

/** An attestation matches when its signature verifies and it names the commit the chain is of. */
function attestationCheck(a: Attestation, sha: string): LinkCheck {
  if (a.signature === 'failed') return { state: 'failed', text: `signature does not verify` };
  if (a.commit && a.commit.toLowerCase() !== sha.toLowerCase())
    return { state: 'failed', text: `names another commit, ${a.commit.slice(0, 12)}` };
  if (a.signature === 'verified')
    return { state: 'verified', text: `signature verified${a.signer ? ` (${a.signer})` : ''}, names this commit` };
  if (a.signature === 'unverified') return { state: 'unverified', text: 'signed, not verified' };
  return { state: 'none', text: 'unsigned' };
}

function signatureSummary(a: Attestation): string {
  switch (a.signature) {
    case 'verified':
      return `; signature verified${a.signer ? `, signed by ${a.signer}` : ''}`;
    case 'failed':
      return `; ⚠ signature does not verify: ${a.signatureDetail ?? 'no reason given'}`;
    case 'unverified':
      return `; signed, not verified${a.signatureDetail ? ` (${a.signatureDetail})` : ''}`;
    default:
      return '; unsigned';
  }
}

/** `; deployed by workflow … on … (verified, issuer …)` when a CI job's OIDC token sent the deployment. */
function verifiedText(d: Deployment): string {
  const v = verifiedWorkflowOf(d);
  if (!v) return '';
  return `; deployed by workflow ${v.workflow}${v.ref ? ` on ${v.ref}` : ''}${v.actor ? ` for ${v.actor}` : ''} (verified OIDC token of ${d.verifiedBy?.issuer ?? 'its issuer'})`;
}

function deploymentItems(d: Deployment, from?: string[]): Draft[] {
  const verified = verifiedWorkflowOf(d);
  const items: Draft[] = [
    {
      from,
      check: verified
        ? { state: 'verified', text: `deployed by verified workflow ${verified.workflow}` }
        : d.status === 'failure' || d.status === 'error'
          ? { state: 'failed', text: d.status }
          : undefined,
      kind: 'deployment',
      id: d.id,
      summary: `${d.kind} to ${d.environment} (${d.status})${d.actor ? ` by ${d.actor}` : ''}${d.artifact ? `, ${d.artifact}` : ''}${d.reason ? `; reason: ${d.reason}` : ''}${verifiedText(d)}`,
      at: d.at,
      eventKey: d.eventKey,
    },
  ];
  for (const a of d.approvals)
    items.push({
      kind: 'approval',
      id: a.id,
      summary: `${a.approver}: ${a.state}${a.comment ? ` (${a.comment})` : ''}`,
      at: a.at,
      eventKey: a.eventKey,
      from: [itemRef('deployment', d.id)],
      check:
        a.state === 'rejected'
          ? { state: 'failed', text: 'rejected' }
          : a.state === 'approved'
            ? { state: 'verified', text: 'approved' }
            : undefined,
    });
  return items;
}

/** A finding follows from the deployment that ran what it names (its artifact, else its commit), else from the line's commit. */
function findingFrom(f: Finding, deployments: Deployment[], otherwise: string[]): string[] {
  const ran = deployments.filter(
    (d) =>
      (f.artifact && d.artifact === f.artifact) ||
      (!f.artifact && f.commit && d.commit === f.commit && (!f.environment || d.environment === f.environment)),
  );
  return ran.length ? ran.map((d) => itemRef('deployment', d.id)) : otherwise;
}

/** A build or check's conclusion as a link check: passed, failed, or nothing to say yet. */
export function buildCheck(conclusion: string | null): LinkCheck | undefined {
  if (conclusion === 'success') return { state: 'verified', text: 'passed' };
  if (conclusion && ['failure', 'timed_out', 'cancelled', 'action_required'].includes(conclusion))
    return { state: 'failed', text: conclusion };
  return undefined;
}

/** git's %G? verdict as a link check. */
export function signatureCheck(verdict: string): LinkCheck {
  const text = signatureMeaning[verdict] ?? verdict;
  if (verdict === 'G') return { state: 'verified', text };
  if (verdict === 'N') return { state: 'none', text };
  if (verdict === 'U' || verdict === 'E') return { state: 'unverified', text };
  return { state: 'failed', text };
}

function findingItem(f: Finding, from?: string[]): Draft {
  return {
    from,
    kind: 'finding',
    id: f.id,
    summary: `${f.severity} ${f.kind}: ${f.title}${f.environment ? ` [${f.environment}]` : ''}`,
    at: f.detectedAt,
    eventKey: f.eventKey,
  };
}

/**
 * The rollbacks that undid these deployments, as evidence: each environment's history is read once,
 * and a rollback already among the items is not listed again.
 */
async function rollbacksOf(client: ApiClient, repo: string, deployments: Deployment[], already: Draft[]): Promise<Draft[]> {
  const out: Draft[] = [];
  for (const environment of new Set(deployments.map((d) => d.environment))) {
    const undone = undoneBy((await client.deployments(repo, environment, { limit: 200 })).deployments);
    for (const d of deployments.filter((x) => x.environment === environment)) {
      const rollback = undone.get(d.id);
      if (!rollback || [...already, ...out].some((x) => x.kind === 'deployment' && x.id === rollback.id)) continue;
      const [item, ...approvals] = deploymentItems(rollback, [itemRef('deployment', d.id)]);
      out.push({ ...item!, summary: `${item!.summary}; rolled back ${d.id}` }, ...approvals);
    }
  }
  return out;
}

/** Attaches the audit-log entry covering each item's source event (a few requests at a time). */
async function withAudit(client: ApiClient, drafts: Draft[]): Promise<EvidenceItem[]> {
  const keys = [...new Set(drafts.map((d) => d.eventKey).filter((k): k is string => !!k))];
  const audits = new Map<string, { seq: number; hash: string } | null>();
  for (let i = 0; i < keys.length; i += 8) {
    await Promise.all(
      keys.slice(i, i + 8).map(async (key) => {
        try {
          const e = await client.event(key);
          audits.set(key, { seq: e.auditSeq, hash: e.auditHash });
        } catch (error) {
          if (!ApiError.is(error, 'notFound')) throw error;
          audits.set(key, null);
        }
      }),
    );
  }
  return drafts.map((d) => ({ ...d, audit: d.eventKey ? (audits.get(d.eventKey) ?? null) : null }));
}

export async function evidenceForLine(
  client: ApiClient,
  repo: string,
  path: string,
  line: number,
  commit: string,
  findingIds: string[],
  /** git's %G? verdict on a commit, from the working copy (the service does not verify signatures). */
  signatureOf?: (sha: string) => Promise<string>,
  /** The audit log's verdict: asked of the service each time unless the caller keeps a recent one (the timeline, which follows the cursor). */
  verifyAudit: () => Promise<AuditVerification | null> = () => client.verifyAudit().catch(() => null),
): Promise<Evidence> {
  const lineage = (await client.lineage(repo, [commit])).commits[0];
  const drafts = lineage
    ? chainOf(lineage)
    : [{ kind: 'commit' as const, id: commit, summary: '(not known to the service)', at: null, eventKey: null }];
  // Builds, artifacts and deployments are recorded on the merge (or squash) commit that brought
  // the line's commit to the deployed branch: follow each pull request to it.
  const merges = [...new Set((lineage?.pullRequests ?? []).map((pr) => pr.mergeCommit).filter((m): m is string => !!m && m !== commit))];
  const deployments = [...(lineage?.deployments ?? [])];
  if (merges.length) {
    for (const m of (await client.lineage(repo, merges)).commits) {
      deployments.push(...m.deployments);
      const pr = lineage?.pullRequests.find((p) => p.mergeCommit === m.sha);
      drafts.push(
        ...chainOf({ ...m, pullRequests: [] }, undefined, pr ? [itemRef('pull_request', `#${pr.number}`)] : undefined).map((d) =>
          d.kind === 'commit' ? { ...d, summary: `merge of #${pr?.number ?? '?'}: ${d.summary}` } : d,
        ),
      );
    }
  }
  drafts.push(...(await rollbacksOf(client, repo, deployments, drafts)));
  for (const id of findingIds) {
    const f = await client.finding(id);
    drafts.push(findingItem(f, findingFrom(f, deployments, [itemRef('commit', commit)])));
  }
  if (signatureOf) {
    for (const d of drafts.filter((x) => x.kind === 'commit')) {
      const verdict = await signatureOf(d.id).catch(() => null);
      if (!verdict) continue;
      d.summary = `${d.summary} (signature: ${signatureMeaning[verdict] ?? verdict})`;
      d.check = signatureCheck(verdict);
    }
  }
  const [items, audit] = await Promise.all([withAudit(client, drafts), verifyAudit()]);
  return { subject: { kind: 'line', path, line, commit }, repo, items, audit };
}

export async function evidenceForDeployment(client: ApiClient, repo: string, id: string): Promise<Evidence> {
  const d = await client.deployment(id);
  const lineage = d.commit ? (await client.lineage(repo, [d.commit])).commits[0] : undefined;
  const drafts = lineage ? chainOf(lineage, d.id) : deploymentItems(d);
  if (lineage && !drafts.some((x) => x.kind === 'deployment')) drafts.push(...deploymentItems(d, [itemRef('commit', lineage.sha)]));
  drafts.push(...(await rollbacksOf(client, repo, [d], drafts)));
  // Promote, never rebuild: the same commit running under another digest elsewhere was built again.
  const rebuilt = (lineage?.deployments ?? []).filter(
    (x) => x.status === 'success' && x.artifact && d.artifact && x.artifact !== d.artifact,
  );
  const own = drafts.find((x) => x.kind === 'deployment' && x.id === d.id);
  if (own && rebuilt.length > 0) {
    own.summary += `; rebuilt: the same commit ran ${[...new Set(rebuilt.map((x) => `${x.artifact!} in ${x.environment}`))].join(', ')}`;
  }
  // The findings seen on what this deployment ran: its environment, its artifact or its commit.
  const { findings } = await client.findings(repo, { environment: d.environment, limit: 500 });
  for (const f of findings) {
    if ((d.artifact && f.artifact === d.artifact) || (d.commit && f.commit === d.commit))
      drafts.push(findingItem(f, [itemRef('deployment', d.id)]));
  }
  const [items, audit] = await Promise.all([withAudit(client, drafts), client.verifyAudit().catch(() => null)]);
  return { subject: { kind: 'deployment', id, commit: d.commit }, repo, items, audit };
}

export const evidenceHeadings: Record<EvidenceKind, string> = {
  commit: 'Commit',
  pull_request: 'Pull request',
  review: 'Review',
  build: 'Build',
  artifact: 'Artifact',
  attestation: 'Attestation',
  deployment: 'Deployment',
  approval: 'Approval',
  finding: 'Finding',
};

/** The evidence as a Markdown document (outside text escaped; table cells free of pipes). */
export function evidenceMarkdown(e: Evidence): string {
  const cell = (t: string | null | undefined) => (t ? escapeMarkdown(t, 200) : '');
  const subject =
    e.subject.kind === 'line'
      ? `${cell(e.subject.path)}:${e.subject.line} (commit \`${e.subject.commit.slice(0, 12)}\`)`
      : `deployment ${cell(e.subject.id)}`;
  const out = [
    `# Evidence: ${subject}`,
    '',
    `Repository ${cell(e.repo)}. Each item names the source event that recorded it and the audit-log entry covering that event.`,
    '',
  ];
  out.push('| | item | detail | time | source event | audit entry |', '|---|---|---|---|---|---|');
  for (const i of e.items) {
    out.push(
      `| ${evidenceHeadings[i.kind]} | ${cell(i.id)} | ${cell(i.summary)} | ${cell(i.at)} | ${cell(i.eventKey)} | ${i.audit ? `#${i.audit.seq} \`${i.audit.hash.slice(0, 16)}…\`` : ''} |`,
    );
  }
  const cp = e.audit?.checkpoint;
  const signed = cp ? `; latest signed checkpoint #${cp.seq} (key ${cell(cp.keyId)})` : '';
  out.push(
    '',
    !e.audit
      ? '**Audit log not verified**: the service could not verify it.'
      : e.audit.ok
        ? `Audit log verified: ${e.audit.entries} entries recomputed and every served row re-derived from its events, chain intact (head \`${(e.audit.head ?? '').slice(0, 16)}…\`)${signed}.`
        : `**Audit log broken** at entry ${e.audit.brokenAt ?? '?'}: ${cell(e.audit.reason)}`,
  );
  return out.join('\n');
}
