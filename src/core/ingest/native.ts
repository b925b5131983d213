/** The service's own plain JSON events (src/core/model/nativeEvents.ts) turned into facts. */
import type { z } from 'zod';
import { nativeEventTypes, nativeSchemaFor, type NativeEvent } from '../model/nativeEvents';
import { type Fact, InvalidEventError, type NormalizedEvent, rankOf } from './facts';
import { obj, type Json } from './values';

export function isNativeEvent(v: unknown): boolean {
  const o = obj(v);
  return o !== null && typeof o.type === 'string' && !('context' in o) && (nativeEventTypes as readonly string[]).includes(o.type);
}

export function toPointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Turns zod issues into one InvalidEventError naming every failing field. */
export function zodToInvalid(error: z.ZodError): InvalidEventError {
  const issues = error.issues.map((i) => ({
    pointer: toPointer(i.path),
    reason: i.code === 'invalid_type' && /received undefined/.test(i.message) ? 'required' : i.message,
  }));
  const [first, ...rest] = issues;
  return new InvalidEventError(first?.pointer ?? '', first?.reason ?? 'invalid', rest);
}

export function normalizeNative(input: Json, raw: string): NormalizedEvent {
  const schema = nativeSchemaFor(String(input.type));
  if (!schema) {
    throw new InvalidEventError('/type', `unknown event type; expected one of ${nativeEventTypes.join(', ')}`);
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw zodToInvalid(parsed.error);
  const e = parsed.data as NativeEvent;
  const key = `native:${e.type}:${e.id}`;
  const repo = e.repo ?? null;
  return { key, format: 'native', raw, facts: [factOf(e, key, repo)] };
}

function factOf(e: NativeEvent, key: string, repo: string | null): Fact {
  switch (e.type) {
    case 'build':
      return {
        table: 'builds',
        rank: rankOf(e.finishedAt ?? e.startedAt, e.status === 'completed' ? 2 : e.status === 'in_progress' ? 1 : 0, key),
        row: {
          id: e.buildId,
          repo,
          kind: e.kind,
          name: e.name ?? null,
          commit_sha: e.commit ?? null,
          status: e.status,
          conclusion: e.conclusion ?? null,
          url: e.url ?? null,
          started_at: e.startedAt ?? null,
          finished_at: e.finishedAt ?? null,
          workflow: e.workflow ?? null,
          ref: e.ref ?? null,
        },
      };
    case 'artifact':
      return {
        table: 'artifacts',
        rank: rankOf(e.createdAt, 0, key),
        row: {
          digest: e.digest,
          name: e.name ?? null,
          purl: e.purl ?? null,
          repo,
          commit_sha: e.commit ?? null,
          build_id: e.buildId ?? null,
          created_at: e.createdAt ?? null,
        },
      };
    case 'deployment':
      return {
        table: 'deployments',
        rank: rankOf(e.at, statusOrder(e.status), key),
        row: {
          id: e.deploymentId,
          repo,
          environment: e.environment,
          service: e.service ?? null,
          commit_sha: e.commit ?? null,
          artifact_digest: e.artifact ?? null,
          at: e.at,
          actor: e.actor ?? null,
          actor_type: e.actorType ?? null,
          sequence: e.sequence ?? null,
          origin: e.sequence === undefined ? null : (e.origin ?? 'native'),
          kind: e.kind,
          status: e.status,
          status_at: e.at,
          reason: e.reason ?? null,
          url: e.url ?? null,
          run_id: e.runId ?? null,
          verified_by: e.verifiedBy ? JSON.stringify(e.verifiedBy) : null,
        },
      };
    case 'approval':
      return {
        table: 'approvals',
        rank: rankOf(e.at, e.state === 'pending' ? 0 : 1, key),
        row: {
          id: e.approvalId,
          repo,
          deployment_id: e.deploymentId ?? null,
          environment: e.environment ?? null,
          approver: e.approver,
          state: e.state,
          comment: e.comment ?? null,
          at: e.at ?? null,
          run_id: e.runId ?? null,
        },
      };
    case 'pull_request':
      return {
        table: 'pull_requests',
        rank: rankOf(e.updatedAt ?? e.mergedAt, e.state === 'open' ? 0 : 1, key),
        row: {
          repo: e.repo,
          number: e.number,
          title: e.title ?? null,
          url: e.url ?? null,
          author: e.author ?? null,
          state: e.state,
          head_sha: e.headSha ?? null,
          head_ref: e.headRef ?? null,
          base_ref: e.baseRef ?? null,
          merge_commit: e.mergeCommit ?? null,
          merged_at: e.mergedAt ?? null,
          updated_at: e.updatedAt ?? null,
        },
        commits: [...new Set([...e.commits, e.headSha, e.mergeCommit].filter((c): c is string => !!c))],
      };
    case 'review':
      return {
        table: 'reviews',
        rank: rankOf(e.at, e.state === 'dismissed' ? 2 : 1, key),
        row: {
          repo: e.repo,
          id: e.reviewId,
          pull_request: e.pullRequest,
          reviewer: e.reviewer,
          state: e.state,
          commit_sha: e.commit ?? null,
          at: e.at ?? null,
        },
      };
    case 'finding':
      return {
        table: 'findings',
        rank: rankOf(e.detectedAt, e.status === 'open' ? 0 : 1, key),
        row: {
          id: e.findingId,
          repo,
          kind: e.kind,
          severity: e.severity,
          title: e.title,
          status: e.status,
          environment: e.environment ?? null,
          service: e.service ?? null,
          artifact_digest: e.artifact ?? null,
          commit_sha: e.commit ?? null,
          release: e.release ?? null,
          rule_id: e.ruleId ?? null,
          tool: e.tool ?? null,
          url: e.url ?? null,
          detected_at: e.detectedAt ?? null,
          detail: e.detail ?? null,
        },
        locations: e.locations.map((l) => ({
          path: l.path,
          line: l.line ?? null,
          end_line: l.endLine ?? null,
          col: l.column ?? null,
          revision: l.revision ?? e.commit ?? null,
        })),
      };
    case 'commit':
      return {
        table: 'commits',
        rank: rankOf(e.at, 0, key),
        row: { repo: e.repo, sha: e.sha, message: e.message ?? null, author: e.author ?? null, at: e.at ?? null },
      };
  }
}

function statusOrder(status: string): number {
  return { pending: 0, queued: 1, in_progress: 2, success: 3, failure: 3, error: 3, inactive: 4 }[status] ?? 0;
}
