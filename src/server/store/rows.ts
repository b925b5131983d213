/** Maps stored rows (snake_case, Date or text times) to the API's domain shapes (camelCase, ISO UTC). */
import {
  findingLink,
  type Approval,
  type Artifact,
  type Attestation,
  type Build,
  type Commit,
  type Deployment,
  type Finding,
  type PullRequest,
  type Review,
} from '../../core/model/domain';

type Row = Record<string, unknown>;

/** A stored scalar as text (the stores give text, numbers, or Dates for times). */
const asText = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? v.toString() : JSON.stringify(v);

/**
 * PostgreSQL's JSON text of a time in UTC (`2026-06-02T08:00:00+00:00`, a fraction of up to six
 * digits): rewritten as the ISO form by its characters, which is what parsing it as a Date and
 * printing it gives (the fraction cut to milliseconds) at an eighth of the cost; a lineage batch
 * maps over a thousand of them.
 */
const utcJsonTime = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00:00$/;

export function isoOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    const m = utcJsonTime.exec(v);
    if (m) return `${m[1]}.${m[2] === undefined ? '000' : m[2].padEnd(3, '0').slice(0, 3)}Z`;
  }
  const d = v instanceof Date ? v : new Date(asText(v));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const s = (v: unknown): string | null => (v === null || v === undefined ? null : asText(v));

export function commitOf(r: Row): Commit {
  return { sha: String(r.sha), repo: String(r.repo), message: s(r.message), author: s(r.author), at: isoOrNull(r.at) };
}

export function pullRequestOf(r: Row, commits: string[]): PullRequest {
  return {
    repo: String(r.repo),
    number: Number(r.number),
    title: s(r.title),
    url: s(r.url),
    author: s(r.author),
    state: r.state as PullRequest['state'],
    headSha: s(r.head_sha),
    headRef: s(r.head_ref),
    baseRef: s(r.base_ref),
    mergeCommit: s(r.merge_commit),
    mergedAt: isoOrNull(r.merged_at),
    updatedAt: isoOrNull(r.updated_at),
    commits,
    eventKey: String(r.event_key),
  };
}

export function reviewOf(r: Row): Review {
  return {
    id: String(r.id),
    pullRequest: Number(r.pull_request),
    reviewer: String(r.reviewer),
    state: r.state as Review['state'],
    commit: s(r.commit_sha),
    at: isoOrNull(r.at),
    eventKey: String(r.event_key),
  };
}

export function buildOf(r: Row): Build {
  return {
    id: String(r.id),
    repo: s(r.repo),
    kind: r.kind as Build['kind'],
    name: s(r.name),
    commit: s(r.commit_sha),
    status: r.status as Build['status'],
    conclusion: s(r.conclusion),
    url: s(r.url),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    workflow: s(r.workflow),
    ref: s(r.ref),
    eventKey: String(r.event_key),
  };
}

export function artifactOf(r: Row): Artifact {
  return {
    digest: String(r.digest),
    name: s(r.name),
    purl: s(r.purl),
    repo: s(r.repo),
    commit: s(r.commit_sha),
    buildId: s(r.build_id),
    createdAt: isoOrNull(r.created_at),
    eventKey: String(r.event_key),
  };
}

function signatureStateOf(v: unknown): Attestation['signature'] {
  return v === 'verified' || v === 'failed' || v === 'unverified' ? v : 'unsigned';
}

export function attestationOf(r: Row): Attestation {
  return {
    id: String(r.id),
    subjectDigest: String(r.subject_digest),
    subjectName: s(r.subject_name),
    predicateType: String(r.predicate_type),
    repo: s(r.repo),
    commit: s(r.commit_sha),
    sourceUri: s(r.source_uri),
    builder: s(r.builder),
    buildType: s(r.build_type),
    invocation: s(r.invocation),
    signed: Boolean(r.signed),
    signature: signatureStateOf(r.signature),
    signatureDetail: s(r.signature_detail),
    signer: s(r.signer),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    eventKey: String(r.event_key),
  };
}

export function approvalOf(r: Row): Approval {
  return {
    id: String(r.id),
    // An approval given to a run is the deployment's that run made in that environment.
    deploymentId: s(r.for_deployment ?? r.deployment_id),
    environment: s(r.environment),
    approver: String(r.approver),
    state: r.state as Approval['state'],
    comment: s(r.comment),
    at: isoOrNull(r.at),
    runId: s(r.run_id),
    eventKey: String(r.event_key),
  };
}

export function deploymentOf(r: Row, approvals: Approval[]): Deployment {
  return {
    id: String(r.id),
    repo: s(r.repo),
    environment: String(r.environment),
    service: s(r.service),
    commit: s(r.commit_sha),
    artifact: s(r.artifact_digest),
    at: isoOrNull(r.at)!,
    actor: s(r.actor),
    actorType: r.actor_type === 'bot' || r.actor_type === 'person' ? r.actor_type : null,
    sequence: r.sequence === null || r.sequence === undefined ? null : Number(r.sequence),
    origin: s(r.origin),
    effectiveAt: isoOrNull(r.effective_at),
    kind: r.kind as Deployment['kind'],
    status: r.status as Deployment['status'],
    reason: s(r.reason),
    url: s(r.url),
    runId: s(r.run_id),
    verifiedBy: typeof r.verified_by === 'string' ? (JSON.parse(r.verified_by) as Record<string, string | null>) : null,
    approvals,
    eventKey: String(r.event_key),
  };
}

export function findingOf(r: Row, locations: Row[], sightings?: Row): Finding {
  const finding: Finding = {
    id: String(r.id),
    repo: s(r.repo),
    kind: r.kind as Finding['kind'],
    severity: r.severity as Finding['severity'],
    title: String(r.title),
    status: r.status as Finding['status'],
    environment: s(r.environment),
    service: s(r.service),
    artifact: s(r.artifact_digest),
    commit: s(r.commit_sha),
    release: s(r.release),
    ruleId: s(r.rule_id),
    tool: s(r.tool),
    url: s(r.url),
    detectedAt: isoOrNull(r.detected_at),
    detail: s(r.detail),
    locations: locations.map((l) => ({
      path: String(l.path),
      line: l.line === null ? null : Number(l.line),
      endLine: l.end_line === null ? null : Number(l.end_line),
      column: l.col === null ? null : Number(l.col),
      revision: s(l.revision),
    })),
    ...(sightings
      ? { occurrences: Number(sightings.n), firstSeenAt: isoOrNull(sightings.first), lastSeenAt: isoOrNull(sightings.last) }
      : {}),
    eventKey: String(r.event_key),
  };
  return { ...finding, link: findingLink(finding) };
}
