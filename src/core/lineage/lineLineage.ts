/**
 * The lineage of each line of a file: the shape `lineage blame --json` prints (a stable contract,
 * README "lineage blame") and the hover renders. Line numbers are 1-based; times ISO 8601 UTC.
 */
import type { EnvironmentProtection } from '../model/domain';
import type { VerifiedWorkflow } from './verifiedWorkflow';

export interface LineCommit {
  sha: string;
  author: string;
  authorMail: string;
  time: string;
  summary: string;
}

export interface LinePullRequest {
  number: number;
  title: string | null;
  url: string | null;
  state: string;
  author: string | null;
}

export interface LineApproval {
  reviewer: string;
  state: string;
  /** The commit the review was given on. */
  commit: string | null;
  /** Given on a commit that does not contain the one that introduced this line. */
  stale: boolean;
  /** False when the reviewed commit is not in this clone, so staleness could not be checked. */
  verified: boolean;
}

export interface LineSince {
  deploymentId: string;
  at: string;
  actor: string | null;
  /** Bot or person, as the source says; null when it does not. */
  actorType?: 'bot' | 'person' | null;
  artifact: string | null;
  /** Who approved that deployment (an environment's required reviewers, a change approval). */
  approvedBy?: string[];
  /** The CI workflow that sent it, proven by its OIDC token (the service verified it). */
  verifiedWorkflow?: VerifiedWorkflow | null;
}

export interface LineEnvironment {
  name: string;
  /** This exact line runs there; null when it cannot be known (the deployed revision is missing). */
  live: boolean | null;
  /** The earliest deployment from which the line has stayed live without a gap. */
  since: LineSince | null;
}

export interface LineFinding {
  id: string;
  severity: string;
  title: string;
  kind: string;
  status: string;
  environment: string | null;
  url: string | null;
  /** The revision the finding was reported against, from which its line was mapped here. */
  revision: string | null;
  /** The finding's other locations as reported (path and line at its revision). */
  otherLocations: { path: string; line: number | null }[];
}

/** A check, build or scan that ran on the line's commit, newest run of each name. */
export interface LineCheck {
  name: string;
  kind: string;
  status: string;
  /** success, failure, neutral (a scan that found something), …; null while it runs. */
  conclusion: string | null;
  at: string | null;
  url: string | null;
}

export interface LineLineage {
  line: number;
  text: string;
  /** Null for a line of the buffer that no commit contains ("not committed"). */
  commit: LineCommit | null;
  pullRequest: LinePullRequest | null;
  approvals: LineApproval[];
  /** Checks, builds and scans of the line's commit (empty when the source leaves them out). */
  checks: LineCheck[];
  environments: LineEnvironment[];
  findings: LineFinding[];
}

export interface EnvironmentState {
  name: string;
  deploymentId: string | null;
  commit: string | null;
  at: string | null;
  actor: string | null;
  artifact: string | null;
  kind: string | null;
  /** For a rollback: the deployment it undid. */
  undid?: string | null;
  /** Who approved the deployment running there. */
  approvedBy?: string[];
  /** What the environment requires before a deployment proceeds (required reviewers, a wait timer). */
  protection?: EnvironmentProtection | null;
  /** The CI workflow that sent it, proven by its OIDC token. */
  verifiedWorkflow?: VerifiedWorkflow | null;
  /** Why liveness is unknown or empty here, e.g. the deployed revision is not in this clone. */
  note: string | null;
}

export interface FileLineage {
  path: string;
  repo: string | null;
  source: 'service' | 'github' | 'gitlab' | 'git' | 'none';
  head: string | null;
  environments: EnvironmentState[];
  notices: string[];
  /** Why the source could not say which findings there are (one of the notices), if it could not. */
  findingsUnknown?: string;
  lines: LineLineage[];
}
