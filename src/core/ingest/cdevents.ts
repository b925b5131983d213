/**
 * CDEvents (https://cdevents.dev) in CloudEvents structured JSON. CDEvents name no git commit, so
 * the link to source is carried in `customData` (documented in the README):
 *   customData.repo        owner/name of the source repository
 *   customData.commit      the full commit SHA that was built or deployed
 *   customData.actor       who triggered it (defaults to the event's source)
 *   customData.kind        deploy | rollback | hotfix (service events)
 *   customData.reason      exemption reason of a hotfix
 *   customData.deploymentId, customData.environment   for approvals
 *   customData.pullRequest, customData.reviewer, customData.severity, customData.digest
 * Every event is kept raw; event types that say nothing about the chain are stored but add no facts.
 */
import { type Fact, InvalidEventError, type NormalizedEvent, rankOf } from './facts';
import { at, digestFrom, int, iso, obj, repoFrom, sha, str, type Json } from './values';

export function isCdEvent(v: unknown): boolean {
  const type = at(v, 'context.type');
  return typeof type === 'string' && type.startsWith('dev.cdevents.');
}

/** `dev.cdevents.service.deployed.0.3.0` → `service.deployed`. */
function shortType(type: string): string {
  const parts = type.split('.');
  return `${parts[2] ?? ''}.${parts[3] ?? ''}`;
}

export function normalizeCdEvent(event: Json, raw: string): NormalizedEvent {
  const context = obj(event.context);
  if (!context) throw new InvalidEventError('/context', 'a CDEvent needs a context object');
  const id = str(context.id, 512);
  const source = str(context.source, 2048);
  const type = str(context.type, 512);
  const timestamp = iso(context.timestamp);
  if (!id) throw new InvalidEventError('/context/id', 'required, a non-empty string');
  if (!source) throw new InvalidEventError('/context/source', 'required, a non-empty string');
  if (!type) throw new InvalidEventError('/context/type', 'required, a non-empty string');
  if (!timestamp) throw new InvalidEventError('/context/timestamp', 'required, an RFC 3339 timestamp');
  const subject = obj(event.subject);
  if (!subject) throw new InvalidEventError('/subject', 'a CDEvent needs a subject object');
  const content = obj(subject.content) ?? {};
  const custom = obj(event.customData) ?? {};
  // CloudEvents makes (source, id) unique per event; the type joins the key because real feeds
  // (the CDEvents conformance set among them) reuse one id for events of different types.
  const key = `cdevents:${source}:${type}:${id}`;
  const subjectId = str(subject.id, 1024) ?? id;
  const repo = repoFrom(custom.repo) ?? repoFrom(at(content, 'repository.id'));
  const commit = sha(custom.commit);
  const actor = str(custom.actor) ?? null;
  const actorType = custom.actorType === 'bot' || custom.actorType === 'person' ? custom.actorType : null;
  // The tool's order of its deployments, when it gives one (a history id or a counter).
  const sequence = int(custom.sequence) ?? int(custom.counter) ?? int(custom.historyId);
  const digest = digestFrom(custom.digest) ?? digestFrom(content.artifactId);
  const environment = str(at(content, 'environment.id'));
  const facts: Fact[] = [];
  const kind = shortType(type);

  switch (kind) {
    case 'service.deployed':
    case 'service.upgraded':
    case 'service.rolledback': {
      if (!environment) throw new InvalidEventError('/subject/content/environment/id', 'required for service events');
      const customKind = str(custom.kind);
      const depKind =
        kind === 'service.rolledback' ? 'rollback' : customKind === 'hotfix' || customKind === 'rollback' ? customKind : 'deploy';
      facts.push({
        table: 'deployments',
        rank: rankOf(timestamp, 3, key),
        row: {
          id: key,
          repo,
          environment,
          service: subjectId,
          commit_sha: commit,
          artifact_digest: digest,
          at: timestamp,
          actor: actor ?? source,
          actor_type: actorType,
          sequence,
          origin: sequence === null ? null : `cdevents:${source}`,
          kind: depKind,
          status: 'success',
          status_at: timestamp,
          reason: str(custom.reason),
          url: str(custom.url),
          run_id: null,
          verified_by: null,
        },
      });
      break;
    }
    case 'artifact.packaged':
    case 'artifact.published':
    case 'artifact.signed': {
      if (digest) {
        facts.push({
          table: 'artifacts',
          rank: rankOf(timestamp, 0, key),
          row: {
            digest,
            name: subjectId,
            purl: subjectId.startsWith('pkg:') ? subjectId : null,
            repo,
            commit_sha: commit,
            build_id: str(custom.buildId),
            created_at: timestamp,
          },
        });
      }
      break;
    }
    case 'build.queued':
    case 'build.started':
    case 'build.finished':
    case 'pipelinerun.queued':
    case 'pipelinerun.started':
    case 'pipelinerun.finished':
    case 'testsuiterun.queued':
    case 'testsuiterun.started':
    case 'testsuiterun.finished': {
      const phase = kind.split('.')[1];
      const status = phase === 'queued' ? 'queued' : phase === 'started' ? 'in_progress' : 'completed';
      const buildId = `cdevents:${source}:${subjectId}`;
      facts.push({
        table: 'builds',
        rank: rankOf(timestamp, status === 'completed' ? 2 : status === 'in_progress' ? 1 : 0, key),
        row: {
          id: buildId,
          repo,
          kind: kind.startsWith('testsuiterun') ? 'test' : 'pipeline',
          name: str(content.pipelineName) ?? str(at(content, 'testSuite.name')) ?? subjectId,
          commit_sha: commit,
          status,
          conclusion: status === 'completed' ? (str(content.outcome) ?? 'success') : null,
          url: str(content.uri) ?? str(content.url),
          started_at: status === 'in_progress' ? timestamp : null,
          finished_at: status === 'completed' ? timestamp : null,
          workflow: null,
          ref: null,
        },
      });
      if (kind === 'build.finished' && digest) {
        facts.push({
          table: 'artifacts',
          rank: rankOf(timestamp, 0, key),
          row: {
            digest,
            name: str(content.artifactId),
            purl: str(content.artifactId),
            repo,
            commit_sha: commit,
            build_id: buildId,
            created_at: timestamp,
          },
        });
      }
      break;
    }
    case 'change.created':
    case 'change.updated':
    case 'change.reviewed':
    case 'change.merged':
    case 'change.abandoned': {
      const number = typeof custom.pullRequest === 'number' ? custom.pullRequest : null;
      if (repo && number !== null) {
        const state = kind === 'change.merged' ? 'merged' : kind === 'change.abandoned' ? 'closed' : 'open';
        facts.push({
          table: 'pull_requests',
          rank: rankOf(timestamp, state === 'open' ? 0 : 1, key),
          row: {
            repo,
            number,
            title: str(custom.title),
            url: str(custom.url),
            author: str(custom.author),
            state,
            head_sha: sha(custom.headSha),
            head_ref: null,
            base_ref: null,
            merge_commit: state === 'merged' ? commit : null,
            merged_at: state === 'merged' ? timestamp : null,
            updated_at: timestamp,
          },
          commits: [commit, sha(custom.headSha)].filter((c): c is string => c !== null),
        });
        const reviewer = str(custom.reviewer);
        if (kind === 'change.reviewed' && reviewer) {
          facts.push({
            table: 'reviews',
            rank: rankOf(timestamp, 0, key),
            row: {
              repo,
              id: `cdevents:${source}:${id}`,
              pull_request: number,
              reviewer,
              state: str(custom.state) ?? 'approved',
              commit_sha: sha(custom.headSha) ?? commit,
              at: timestamp,
            },
          });
        }
      }
      break;
    }
    case 'incident.detected':
    case 'incident.reported':
    case 'incident.resolved': {
      const resolved = kind === 'incident.resolved';
      facts.push({
        table: 'findings',
        rank: rankOf(timestamp, resolved ? 1 : 0, key),
        row: {
          id: `cdevents:${source}:${subjectId}`,
          repo,
          kind: 'incident',
          severity: severityOf(custom.severity) ?? 'high',
          title: str(content.description) ?? subjectId,
          status: resolved ? 'resolved' : 'open',
          environment,
          service: str(at(content, 'service.id')),
          artifact_digest: digest,
          commit_sha: commit,
          release: str(custom.release),
          rule_id: null,
          tool: source,
          url: str(content.ticketURI) ?? str(custom.url),
          detected_at: timestamp,
          detail: null,
        },
        locations: [],
      });
      break;
    }
    case 'approval.created':
    case 'approval.updated':
    case 'approval.closed': {
      const decision = str(content.decision) ?? str(content.status);
      const person = str(content.responder) ?? str(content.requestor);
      if (person) {
        facts.push({
          table: 'approvals',
          rank: rankOf(timestamp, kind === 'approval.closed' ? 2 : 1, key),
          row: {
            id: `cdevents:${source}:${subjectId}`,
            repo,
            deployment_id: str(custom.deploymentId),
            environment: str(custom.environment),
            approver: person.replace(/^urn:user:/, ''),
            state: decision === 'approved' ? 'approved' : decision === 'rejected' ? 'rejected' : 'pending',
            comment: str(content.resourceTargetUrl),
            at: timestamp,
            run_id: null,
          },
        });
      }
      break;
    }
    default:
      break;
  }
  return { key, format: 'cdevents', raw, facts };
}

export function severityOf(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.toLowerCase();
  if (['critical', 'high', 'medium', 'low', 'info'].includes(s)) return s;
  if (s === 'moderate' || s === 'warning') return 'medium';
  if (s === 'error') return 'high';
  if (s === 'note' || s === 'none' || s === 'informational') return 'info';
  return null;
}
