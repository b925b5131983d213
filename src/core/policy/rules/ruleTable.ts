/**
 * The approval-chain rules as a table: rule id → the function that finds its violations, each
 * with its own evidence type. `evaluate` runs them in this order and gives each finding the
 * severity the policy sets (rules set to "off" do not run).
 */
import type { Policy, RuleId } from '../policy';
import { blockingCheck, type BlockingCheckEvidence } from './blockingCheck';
import { brokenAttestation, type BrokenAttestationEvidence } from './brokenAttestation';
import { hotfixWithoutReason, type HotfixWithoutReasonEvidence } from './hotfixWithoutReason';
import { hotfixWithoutReview, type HotfixWithoutReviewEvidence } from './hotfixWithoutReview';
import { missingChangeReference, type MissingChangeReferenceEvidence } from './missingChangeReference';
import { policyChangedInBranch, type PolicyChangedInBranchEvidence } from './policyChangedInBranch';
import { rebuiltArtifact, type RebuiltArtifactEvidence } from './rebuiltArtifact';
import type { BranchFacts, Rule, RuleContext } from './ruleFacts';
import { selfApproval, type SelfApprovalEvidence } from './selfApproval';
import { staleApproval, type StaleApprovalEvidence } from './staleApproval';
import { staleAttestation, type StaleAttestationEvidence } from './staleAttestation';
import { unapprovedCommits, type UnapprovedCommitsEvidence } from './unapprovedCommits';
import { unapprovedProductionDeployment, type UnapprovedProductionDeploymentEvidence } from './unapprovedProductionDeployment';
import { unsignedCommit, type UnsignedCommitEvidence } from './unsignedCommit';

export interface EvidenceOf {
  'policy-changed-in-branch': PolicyChangedInBranchEvidence;
  'stale-approval': StaleApprovalEvidence;
  'unapproved-commits': UnapprovedCommitsEvidence;
  'self-approval': SelfApprovalEvidence;
  'unsigned-commit': UnsignedCommitEvidence;
  'missing-change-reference': MissingChangeReferenceEvidence;
  'blocking-check': BlockingCheckEvidence;
  'stale-attestation': StaleAttestationEvidence;
  'broken-attestation': BrokenAttestationEvidence;
  'rebuilt-artifact': RebuiltArtifactEvidence;
  'hotfix-without-reason': HotfixWithoutReasonEvidence;
  'hotfix-without-review': HotfixWithoutReviewEvidence;
  'unapproved-production-deployment': UnapprovedProductionDeploymentEvidence;
}

/** A rule's finding as `check` reports it; `rule` tells which evidence type it carries. */
export type Violation = {
  [R in RuleId]: { rule: R; severity: 'blocking' | 'informational'; message: string; evidence: EvidenceOf[R] };
}[RuleId];

export type ViolationOf<R extends RuleId> = Extract<Violation, { rule: R }>;

/** Every rule id, in the order results are reported. */
export const ruleTable: { [R in RuleId]: Rule<EvidenceOf[R]> } = {
  'policy-changed-in-branch': policyChangedInBranch,
  'stale-approval': staleApproval,
  'unapproved-commits': unapprovedCommits,
  'self-approval': selfApproval,
  'unsigned-commit': unsignedCommit,
  'missing-change-reference': missingChangeReference,
  'blocking-check': blockingCheck,
  'stale-attestation': staleAttestation,
  'broken-attestation': brokenAttestation,
  'rebuilt-artifact': rebuiltArtifact,
  'hotfix-without-reason': hotfixWithoutReason,
  'hotfix-without-review': hotfixWithoutReview,
  'unapproved-production-deployment': unapprovedProductionDeployment,
};

export async function evaluate(facts: BranchFacts, policy: Policy, ctx: RuleContext): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const rule of Object.keys(ruleTable) as RuleId[]) {
    const severity = policy.rules[rule].severity;
    if (severity === 'off') continue;
    for (const found of await (ruleTable[rule] as Rule<unknown>)(facts, policy, ctx)) out.push({ rule, severity, ...found } as Violation);
  }
  return out;
}

/** The violations of one rule, with that rule's evidence type. */
export function violationsOf<R extends RuleId>(violations: Violation[], rule: R): ViolationOf<R>[] {
  return violations.filter((v): v is ViolationOf<R> => v.rule === rule);
}
