/**
 * Facts are what an ingested event says about the lineage chain, one row each. Every normaliser
 * (CDEvents, GitHub, SARIF, in-toto, native) turns an event into facts; the store upserts them.
 *
 * Convergence: each fact carries a `rank`. When two facts describe the same row, the higher rank's
 * non-null fields win and the lower rank only fills fields still empty, so replays and out-of-order
 * delivery settle on the same state. Ranks are `<ISO time>|<order>|<event key>` and compare as
 * plain strings (bytewise).
 */
import type { SignatureState } from './attestationTrust';

export interface CommitFact {
  table: 'commits';
  row: { repo: string; sha: string; message: string | null; author: string | null; at: string | null };
}

export interface PullRequestFact {
  table: 'pull_requests';
  row: {
    repo: string;
    number: number;
    title: string | null;
    url: string | null;
    author: string | null;
    state: 'open' | 'closed' | 'merged';
    head_sha: string | null;
    head_ref: string | null;
    base_ref: string | null;
    merge_commit: string | null;
    merged_at: string | null;
    updated_at: string | null;
  };
  /** Commits known to belong to the pull request (head, merge commit, listed commits). */
  commits: string[];
}

export interface ReviewFact {
  table: 'reviews';
  row: {
    repo: string;
    id: string;
    pull_request: number;
    reviewer: string;
    state: string;
    commit_sha: string | null;
    at: string | null;
  };
}

export interface BuildFact {
  table: 'builds';
  row: {
    id: string;
    repo: string | null;
    kind: 'pipeline' | 'workflow' | 'check' | 'test' | 'scan';
    name: string | null;
    commit_sha: string | null;
    status: 'queued' | 'in_progress' | 'completed';
    conclusion: string | null;
    url: string | null;
    started_at: string | null;
    finished_at: string | null;
    /** The workflow file that ran (`.github/workflows/deploy.yml`), and the ref it ran on, when the source says. */
    workflow: string | null;
    ref: string | null;
  };
}

export interface ArtifactFact {
  table: 'artifacts';
  row: {
    digest: string;
    name: string | null;
    purl: string | null;
    repo: string | null;
    commit_sha: string | null;
    build_id: string | null;
    created_at: string | null;
  };
}

export interface AttestationFact {
  table: 'attestations';
  row: {
    id: string;
    subject_digest: string;
    subject_name: string | null;
    predicate_type: string;
    repo: string | null;
    commit_sha: string | null;
    source_uri: string | null;
    builder: string | null;
    build_type: string | null;
    invocation: string | null;
    signed: boolean;
    /** The signature's verdict under the service's trust (attestationTrust.ts). */
    signature: SignatureState;
    signature_detail: string | null;
    signer: string | null;
    /** Fingerprint of the trust that verdict was reached under; null when unsigned. */
    signature_trust: string | null;
    started_at: string | null;
    finished_at: string | null;
  };
}

export interface DeploymentFact {
  table: 'deployments';
  row: {
    id: string;
    repo: string | null;
    environment: string;
    service: string | null;
    commit_sha: string | null;
    artifact_digest: string | null;
    at: string;
    actor: string | null;
    /** From the source's own field (GitHub's account type, a native event's actorType), never guessed from a name. */
    actor_type: 'bot' | 'person' | null;
    /**
     * The deploy tool's own order (GitHub's deployment id, Argo CD's history id, a CDEvents
     * sequence), comparable within `origin`; what runs where follows it over the clocks.
     */
    sequence: number | null;
    origin: string | null;
    kind: 'deploy' | 'rollback' | 'hotfix';
    status: string;
    status_at: string;
    reason: string | null;
    url: string | null;
    /**
     * The CI run that performed the deployment (a GitHub Actions workflow run), when the source
     * says: environment approvals given to that run are this deployment's.
     */
    run_id: string | null;
    /** The claims of the CI job's OIDC token the service verified when the deployment was sent with one (JSON). */
    verified_by: string | null;
  };
}

export interface ApprovalFact {
  table: 'approvals';
  row: {
    id: string;
    repo: string | null;
    deployment_id: string | null;
    environment: string | null;
    approver: string;
    state: 'approved' | 'rejected' | 'pending';
    comment: string | null;
    at: string | null;
    /** The CI run whose deployment to `environment` was approved, when the approval names a run, not a deployment. */
    run_id: string | null;
  };
}

export interface FindingLocationRow {
  path: string;
  line: number | null;
  end_line: number | null;
  col: number | null;
  revision: string | null;
}

export interface FindingFact {
  table: 'findings';
  row: {
    id: string;
    repo: string | null;
    kind: string;
    severity: string;
    title: string;
    status: 'open' | 'resolved' | 'suppressed';
    environment: string | null;
    service: string | null;
    artifact_digest: string | null;
    commit_sha: string | null;
    release: string | null;
    rule_id: string | null;
    tool: string | null;
    url: string | null;
    detected_at: string | null;
    detail: string | null;
  };
  locations: FindingLocationRow[];
  /** One sighting of the finding (a log record, a span event): counted, each once, however often it is sent. */
  occurrence?: { id: string; at: string | null };
}

export type FactBody =
  CommitFact | PullRequestFact | ReviewFact | BuildFact | ArtifactFact | AttestationFact | DeploymentFact | ApprovalFact | FindingFact;

export type Fact = FactBody & { rank: string };

export type EventFormat = 'cdevents' | 'github' | 'gitlab' | 'sarif' | 'intoto' | 'native' | 'argocd' | 'alertmanager' | 'otlp';

/** One accepted event: its idempotency key, the raw text kept verbatim, and what it says. */
export interface NormalizedEvent {
  key: string;
  format: EventFormat;
  raw: string;
  facts: Fact[];
  /**
   * SHA-256 of `raw` (hex) when the normaliser computed it already: most formats' keys are made of
   * it, and the audit chain needs the same hash, so a delivery is hashed once, not twice. Absent,
   * the writer hashes `raw`; verification always recomputes it from the stored bytes.
   */
  rawSha256?: string;
}

/** Rank for a fact: later time wins, then the higher `order` (e.g. a final status over a pending one). */
export function rankOf(at: string | null | undefined, order: number, eventKey: string): string {
  const time = at ?? '0000-00-00T00:00:00.000Z';
  return `${time}|${String(order).padStart(3, '0')}|${eventKey}`;
}

/** Raised by a normaliser for input it cannot accept; `pointer` is a JSON pointer into the event. */
export class InvalidEventError extends Error {
  readonly issues: { pointer: string; reason: string }[];

  constructor(
    readonly pointer: string,
    readonly reason: string,
    more: { pointer: string; reason: string }[] = [],
  ) {
    super(`${pointer || '/'}: ${reason}`);
    this.name = 'InvalidEventError';
    this.issues = [{ pointer, reason }, ...more];
  }

  /** Prefixes every pointer, e.g. with the event's index in a batch. */
  within(prefix: string): InvalidEventError {
    const [first, ...rest] = this.issues.map((i) => ({ pointer: prefix + i.pointer, reason: i.reason }));
    return new InvalidEventError(first?.pointer ?? prefix, first?.reason ?? this.reason, rest);
  }

  static is(e: unknown): e is InvalidEventError {
    return e instanceof InvalidEventError;
  }
}
