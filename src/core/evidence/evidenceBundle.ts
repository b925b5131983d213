/**
 * An evidence bundle: one file an auditor can check with no service and no network. It holds the
 * evidence, the raw events behind every item, the chain entries from each event up to a signed
 * checkpoint, and those checkpoints. Verifying it recomputes every link, checks each signature,
 * re-derives each event's facts and finds every item among them.
 */
import { z } from 'zod';
import type { Evidence } from './evidenceChain';
import type { ApiClient } from '../sources/apiClient';
import { AuditEntry, Checkpoint, checkpointSignatureProblem, segmentProblem, sha256Text } from '../audit/chain';
import { rederive } from '../audit/rederive';

export const bundleKind = 'code-lineage/evidence-bundle';

export const EvidenceBundle = z.object({
  kind: z.literal(bundleKind),
  version: z.literal(1),
  createdAt: z.string(),
  evidence: z.object({
    subject: z.record(z.string(), z.unknown()),
    repo: z.string(),
    items: z.array(
      z.object({
        kind: z.string(),
        id: z.string(),
        summary: z.string(),
        at: z.string().nullable(),
        eventKey: z.string().nullable(),
        audit: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
      }),
    ),
  }),
  events: z.array(z.object({ key: z.string(), format: z.string(), seq: z.number().int().min(1), raw: z.string() })),
  segments: z.array(z.object({ entries: z.array(AuditEntry).min(1), checkpoint: Checkpoint })),
});
export type EvidenceBundle = z.infer<typeof EvidenceBundle>;

export async function buildBundle(client: ApiClient, evidence: Evidence): Promise<EvidenceBundle> {
  const keys = [...new Set(evidence.items.map((i) => i.eventKey).filter((k): k is string => !!k))];
  const events: EvidenceBundle['events'] = [];
  for (const key of keys) {
    const e = await client.event(key);
    if (e.rawText === undefined) throw new Error(`the service did not return event ${key} as stored`);
    events.push({ key, format: e.format, seq: e.auditSeq, raw: e.rawText });
  }
  // Each event's entry, linked forward to the first signed checkpoint at or after it.
  const bySegment = new Map<number, { from: number; checkpoint: Checkpoint }>();
  for (const seq of [...new Set(events.map((e) => e.seq))].sort((a, b) => a - b)) {
    const cp = await client.checkpoint(seq);
    const known = bySegment.get(cp.seq);
    if (!known) bySegment.set(cp.seq, { from: seq, checkpoint: cp });
  }
  const segments: EvidenceBundle['segments'] = [];
  for (const { from, checkpoint } of bySegment.values())
    segments.push({ entries: await client.auditEntries(from, checkpoint.seq), checkpoint });
  return {
    kind: bundleKind,
    version: 1,
    createdAt: new Date().toISOString(),
    evidence: { subject: evidence.subject, repo: evidence.repo, items: evidence.items },
    events,
    segments,
  };
}

/** Which fact rows an item is: the table and the column its id is in. */
const itemRows: Record<string, { table: string; id: (row: Record<string, unknown>) => string }> = {
  pull_request: { table: 'pull_requests', id: (r) => `#${String(r.number)}` },
  review: { table: 'reviews', id: (r) => String(r.id) },
  build: { table: 'builds', id: (r) => String(r.id) },
  artifact: { table: 'artifacts', id: (r) => String(r.digest) },
  attestation: { table: 'attestations', id: (r) => String(r.id) },
  deployment: { table: 'deployments', id: (r) => String(r.id) },
  approval: { table: 'approvals', id: (r) => String(r.id) },
  finding: { table: 'findings', id: (r) => String(r.id) },
};

export interface BundleVerification {
  ok: boolean;
  problems: string[];
  keyIds: string[];
  events: number;
  items: number;
  checkpoints: number[];
}

/** Verifies a bundle offline; `pinnedKeyId` is the key id the auditor expects the service to sign with. */
export function verifyBundle(bundle: EvidenceBundle, pinnedKeyId?: string): BundleVerification {
  const problems: string[] = [];
  const raws = new Map(bundle.events.map((e) => [e.key, e.raw]));
  const covered = new Map<number, AuditEntry>();
  const keyIds = new Set<string>();
  for (const segment of bundle.segments) {
    const cp = segment.checkpoint;
    keyIds.add(cp.keyId);
    const signature = checkpointSignatureProblem(cp);
    if (signature) problems.push(`checkpoint ${cp.seq}: ${signature}`);
    const link = segmentProblem(segment.entries, raws);
    if (link) problems.push(`entry ${link.seq}: ${link.reason}`);
    const last = segment.entries[segment.entries.length - 1]!;
    if (last.seq !== cp.seq || last.hash !== cp.hash) problems.push(`entries up to ${last.seq} do not end at signed checkpoint ${cp.seq}`);
    for (const e of segment.entries) covered.set(e.seq, e);
  }
  if (pinnedKeyId && [...keyIds].some((k) => k !== pinnedKeyId))
    problems.push(`checkpoints are signed by ${[...keyIds].join(', ')}, not the expected key ${pinnedKeyId}`);
  if (keyIds.size > 1) problems.push(`checkpoints are signed by more than one key: ${[...keyIds].join(', ')}`);
  const factsByKey = new Map<string, { table: string; row: Record<string, unknown> }[]>();
  for (const e of bundle.events) {
    const entry = covered.get(e.seq);
    if (!entry || entry.eventKey !== e.key) problems.push(`event ${e.key}: no chain entry ${e.seq} for it in the bundle`);
    else if (sha256Text(e.raw) !== entry.eventHash) problems.push(`event ${e.key}: does not match the hash in entry ${e.seq}`);
    try {
      const derived = rederive(e.format, e.raw);
      if (derived.key !== e.key) problems.push(`event ${e.key}: its content is keyed ${derived.key}`);
      factsByKey.set(
        e.key,
        derived.facts.map((f) => ({ table: f.table, row: f.row })),
      );
    } catch (error) {
      problems.push(`event ${e.key}: does not re-derive: ${(error as Error).message}`);
    }
  }
  for (const item of bundle.evidence.items) {
    if (!item.eventKey) continue;
    if (!raws.has(item.eventKey)) {
      problems.push(`${item.kind} ${item.id}: its event ${item.eventKey} is not in the bundle`);
      continue;
    }
    if (item.audit && covered.get(item.audit.seq)?.hash !== item.audit.hash)
      problems.push(`${item.kind} ${item.id}: cites entry ${item.audit.seq}, which the chain does not hold`);
    const shape = itemRows[item.kind];
    const facts = factsByKey.get(item.eventKey);
    if (shape && facts && !facts.some((f) => f.table === shape.table && shape.id(f.row) === item.id)) {
      problems.push(`${item.kind} ${item.id}: its event ${item.eventKey} does not record it`);
    }
  }
  return {
    ok: problems.length === 0,
    problems,
    keyIds: [...keyIds],
    events: bundle.events.length,
    items: bundle.evidence.items.length,
    checkpoints: bundle.segments.map((s) => s.checkpoint.seq),
  };
}
