/**
 * The approval-chain rules, evaluated over a branch's facts (git and the lineage source). Each
 * violation carries its evidence: the commits, reviews, deployments and source event ids an
 * auditor would check.
 */
import type { CommitLineage, PullRequestWithReviews } from '../model/api';
import type { Deployment, Review } from '../model/domain';
import type { BranchCommit, PullRequestDiffs } from './branchGit';
import { durationMs, type Policy, type RuleId } from './policy';
import { linearPattern } from './linearPattern';

export interface Violation {
  rule: RuleId;
  severity: 'blocking' | 'informational';
  message: string;
  evidence: Record<string, unknown>;
}

export interface BranchFacts {
  base: string;
  head: string;
  headSha: string;
  commits: BranchCommit[];
  pullRequest: PullRequestWithReviews | null;
  /** Lineage of the branch's commits, its head and the pull request's merge commit. */
  lineage: Map<string, CommitLineage>;
  now: number;
}

export interface RuleContext {
  diffs: PullRequestDiffs;
  /** Lines a commit touched ("path:12-14"). */
  touched(commit: BranchCommit): Promise<string[]>;
  /** Is the commit in this clone? */
  hasCommit(sha: string): Promise<boolean>;
}

const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : 'unknown');
const failedConclusions = new Set(['failure', 'cancelled', 'timed_out', 'action_required', 'error', 'startup_failure', 'stale']);

/** A deployment as the record an auditor reads: one followed by its rollback is one composite. */
export interface DeploymentRecord {
  id: string;
  environment: string;
  kind: string;
  at: string;
  actor: string | null;
  artifact: string | null;
  /** Set when a rollback in the same environment followed within the window. */
  rolledBack: { by: string; at: string; afterMinutes: number } | null;
}

/**
 * Deployments in time order, each deploy or hotfix followed within `windowMs` by a rollback in
 * the same environment folded into one "deployed, then rolled back" record; the rollback itself
 * is not counted as a new deployment.
 */
export function deploymentRecords(deployments: Deployment[], windowMs: number): DeploymentRecord[] {
  const sorted = [...deployments].filter((d) => d.status === 'success').sort((a, b) => a.at.localeCompare(b.at));
  const records: DeploymentRecord[] = [];
  const folded = new Set<string>();
  for (const d of sorted) {
    if (d.kind === 'rollback') {
      const target = [...records].reverse().find((r) => r.environment === d.environment && !r.rolledBack && r.kind !== 'rollback');
      const after = target ? Date.parse(d.at) - Date.parse(target.at) : Infinity;
      if (target && after <= windowMs) {
        target.rolledBack = { by: d.id, at: d.at, afterMinutes: Math.round(after / 60_000) };
        folded.add(d.id);
        continue;
      }
    }
    records.push({ id: d.id, environment: d.environment, kind: d.kind, at: d.at, actor: d.actor, artifact: d.artifact, rolledBack: null });
  }
  return records;
}

/** The latest review of each reviewer (a later review replaces an earlier one, as on GitHub). */
export function latestReviews(reviews: Review[]): Review[] {
  const byReviewer = new Map<string, Review>();
  for (const r of [...reviews].filter((r) => r.state !== 'commented' && r.state !== 'pending').sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''))) {
    byReviewer.set(r.reviewer, r);
  }
  return [...byReviewer.values()];
}

export async function evaluate(facts: BranchFacts, policy: Policy, ctx: RuleContext): Promise<Violation[]> {
  const out: Violation[] = [];
  const add = (rule: RuleId, message: string, evidence: Record<string, unknown>) => {
    const severity = policy.rules[rule].severity;
    if (severity !== 'off') out.push({ rule, severity, message, evidence });
  };
  const pr = facts.pullRequest;
  const approvals = pr ? latestReviews(pr.reviews).filter((r) => r.state === 'approved') : [];
  const prEvidence = pr ? { number: pr.number, url: pr.url, author: pr.author, eventKey: pr.eventKey } : null;
  const headId = await ctx.diffs.patchId(facts.headSha);

  // stale-approval: the pull request's change differs from what was approved.
  for (const a of approvals) {
    if (!a.commit) continue;
    const evidence = { pullRequest: prEvidence, reviewer: a.reviewer, approvedCommit: a.commit, head: facts.headSha, reviewEventKey: a.eventKey, at: a.at };
    if (!(await ctx.hasCommit(a.commit))) {
      add('stale-approval', `${a.reviewer}'s approval was given on ${short(a.commit)}, which is not in this clone (force-pushed away?); it cannot cover ${short(facts.headSha)}`, evidence);
    } else if (a.commit !== facts.headSha && (await ctx.diffs.patchId(a.commit)) !== headId) {
      add('stale-approval', `${a.reviewer} approved ${short(a.commit)}, but the change has been modified since (head ${short(facts.headSha)})`, evidence);
    }
  }
  const maxAge = policy.rules['stale-approval'].maxAge;
  if (maxAge && approvals.length > 0) {
    const buildMs = Math.max(0, ...(facts.lineage.get(facts.headSha)?.builds ?? []).map((b) => (b.startedAt && b.finishedAt ? Date.parse(b.finishedAt) - Date.parse(b.startedAt) : 0)));
    const limit = Math.max(durationMs(maxAge), 2 * buildMs);
    const mergedAt = pr?.mergedAt ? Date.parse(pr.mergedAt) : facts.now;
    for (const a of approvals) {
      if (a.at && mergedAt - Date.parse(a.at) > limit) {
        add('stale-approval', `${a.reviewer}'s approval is ${Math.round((mergedAt - Date.parse(a.at)) / 60_000)} minutes older than the merge (limit ${Math.round(limit / 60_000)} minutes)`, {
          pullRequest: prEvidence,
          reviewer: a.reviewer,
          at: a.at,
          limitMinutes: Math.round(limit / 60_000),
          reviewEventKey: a.eventKey,
        });
      }
    }
  }

  // unapproved-commits: commits after the last approval that change the pull request's diff.
  if (!pr) {
    add('unapproved-commits', `no pull request found for ${facts.head} (${short(facts.headSha)}): none of the branch's ${facts.commits.length} commits has been reviewed`, {
      head: facts.headSha,
      commits: facts.commits.map((c) => c.sha),
    });
  } else {
    // The last commit whose pull-request diff some approval saw: by patch id, so an approval still
    // covers the branch after a rebase onto an unchanged base or a merge of the base.
    const approvedIds = new Set<string>();
    for (const a of approvals) if (a.commit && (await ctx.hasCommit(a.commit))) approvedIds.add(await ctx.diffs.patchId(a.commit));
    let lastIndex = -1;
    for (let i = 0; i < facts.commits.length; i++) if (approvedIds.has(await ctx.diffs.patchId(facts.commits[i]!.sha))) lastIndex = i;
    let previous = lastIndex >= 0 ? await ctx.diffs.patchId(facts.commits[lastIndex]!.sha) : 'empty';
    const unapproved: { sha: string; subject: string; lines: string[] }[] = [];
    for (const c of facts.commits.slice(lastIndex + 1)) {
      const id = await ctx.diffs.patchId(c.sha);
      if (id !== previous) unapproved.push({ sha: c.sha, subject: c.subject, lines: c.parents.length > 1 ? [] : await ctx.touched(c) });
      previous = id;
    }
    if (unapproved.length > 0) {
      const since = lastIndex >= 0 ? `after the last approval (${short(facts.commits[lastIndex]!.sha)})` : 'with no approval at all';
      add('unapproved-commits', `${unapproved.length} commit${unapproved.length === 1 ? '' : 's'} changed pull request #${pr.number} ${since}: ${unapproved.map((u) => short(u.sha)).join(', ')}`, {
        pullRequest: prEvidence,
        commits: unapproved,
      });
    }
  }

  // self-approval
  for (const a of approvals) {
    if (pr?.author && a.reviewer.toLowerCase() === pr.author.toLowerCase()) {
      add('self-approval', `${a.reviewer} approved their own pull request #${pr.number}`, { pullRequest: prEvidence, reviewer: a.reviewer, reviewEventKey: a.eventKey });
    }
  }

  // unsigned-commit (only when signatures are required)
  if (policy.rules['unsigned-commit'].required) {
    const meaning: Record<string, string> = { N: 'unsigned', B: 'bad signature', E: 'signature cannot be checked', R: 'signed with a revoked key', X: 'expired signature', Y: 'signed with an expired key' };
    for (const c of facts.commits) {
      if (c.signature === 'G' || c.signature === 'U') continue;
      add('unsigned-commit', `${short(c.sha)} "${c.subject}": ${meaning[c.signature] ?? `signature status ${c.signature}`}`, { commit: c.sha, author: c.authorEmail, signature: c.signature });
    }
  }

  // missing-change-reference
  const pattern = linearPattern(policy.rules['missing-change-reference'].pattern);
  for (const c of facts.commits) {
    if (c.parents.length > 1) continue;
    if (!pattern.test(c.message)) {
      add('missing-change-reference', `${short(c.sha)} "${c.subject}" has no change reference (pattern ${pattern.source})`, { commit: c.sha, subject: c.subject, pattern: pattern.source });
    }
  }

  // blocking-check: required checks failed or missing for the head commit; any failed check.
  const builds = facts.lineage.get(facts.headSha)?.builds ?? [];
  const latestByName = new Map<string, (typeof builds)[number]>();
  for (const b of [...builds].sort((x, y) => (x.startedAt ?? '').localeCompare(y.startedAt ?? ''))) latestByName.set(b.name ?? b.id, b);
  for (const name of policy.rules['blocking-check'].required) {
    if (!latestByName.has(name)) add('blocking-check', `required check "${name}" has not run on ${short(facts.headSha)}`, { check: name, head: facts.headSha });
  }
  for (const [name, b] of latestByName) {
    if (b.conclusion && failedConclusions.has(b.conclusion)) {
      add('blocking-check', `check "${name}" ${b.conclusion} on ${short(facts.headSha)}`, { check: name, conclusion: b.conclusion, url: b.url, buildEventKey: b.eventKey });
    } else if (policy.rules['blocking-check'].required.includes(name) && b.status !== 'completed') {
      add('blocking-check', `required check "${name}" is still ${b.status} on ${short(facts.headSha)}`, { check: name, status: b.status, buildEventKey: b.eventKey });
    }
  }

  // Deployment rules, over every deployment of the branch's commits and its merge commit.
  const deployments: Deployment[] = [];
  const seen = new Set<string>();
  for (const l of facts.lineage.values()) for (const d of l.deployments) if (!seen.has(d.id) && seen.add(d.id)) deployments.push(d);
  const production = policy.environments.production;
  const staging = policy.environments.staging;

  // stale-attestation: provenance older than the commit it covers, or a deployed artifact without any.
  for (const l of facts.lineage.values()) {
    const commitTime = facts.commits.find((c) => c.sha === l.sha)?.committedAt ?? l.commit?.at ?? null;
    for (const att of l.attestations) {
      const generated = att.finishedAt ?? att.startedAt;
      if (commitTime && generated && Date.parse(generated) < Date.parse(commitTime)) {
        add('stale-attestation', `provenance ${att.id} for ${att.subjectDigest.slice(0, 19)} was generated at ${generated}, before commit ${short(l.sha)} (${commitTime}) it claims to cover`, {
          attestation: att.id,
          digest: att.subjectDigest,
          commit: l.sha,
          generated,
          committedAt: commitTime,
          attestationEventKey: att.eventKey,
        });
      }
    }
  }
  const attested = new Set([...facts.lineage.values()].flatMap((l) => l.attestations.map((a) => a.subjectDigest)));
  for (const d of deployments) {
    if (d.artifact && d.status === 'success' && !attested.has(d.artifact)) {
      add('stale-attestation', `deployment ${d.id} to ${d.environment} ran artifact ${d.artifact.slice(0, 19)}, which has no provenance`, { deployment: d.id, environment: d.environment, artifact: d.artifact, deploymentEventKey: d.eventKey });
    }
  }

  // rebuilt-artifact: production runs a different digest than staging validated for the same commit.
  for (const l of facts.lineage.values()) {
    const ok = l.deployments.filter((d) => d.status === 'success' && d.artifact);
    const staged = new Set(ok.filter((d) => d.environment === staging).map((d) => d.artifact!));
    if (staged.size === 0) continue;
    for (const d of ok.filter((x) => x.environment === production)) {
      if (!staged.has(d.artifact!)) {
        add('rebuilt-artifact', `${production} deployment ${d.id} of ${short(l.sha)} ran ${d.artifact!.slice(0, 19)}, not the digest ${staging} validated (${[...staged].map((s) => s.slice(0, 19)).join(', ')})`, {
          commit: l.sha,
          deployment: d.id,
          deployed: d.artifact,
          validated: [...staged],
          deploymentEventKey: d.eventKey,
        });
      }
    }
  }

  for (const d of deployments) {
    if (d.kind === 'hotfix' && !d.reason?.trim()) {
      add('hotfix-without-reason', `hotfix deployment ${d.id} to ${d.environment} gives no exemption reason`, { deployment: d.id, environment: d.environment, actor: d.actor, deploymentEventKey: d.eventKey });
    }
    if (d.environment === production && d.kind !== 'rollback' && d.status === 'success' && !d.approvals.some((a) => a.state === 'approved')) {
      add('unapproved-production-deployment', `deployment ${d.id} to ${production} by ${d.actor ?? 'unknown'} has no environment approval`, { deployment: d.id, actor: d.actor, at: d.at, deploymentEventKey: d.eventKey });
    }
  }
  return out;
}
