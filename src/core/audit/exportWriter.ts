/**
 * Writes an export directory (exportArchive.ts) from whatever can list chained events: the
 * service over HTTP (`lineage export`) or the store itself (retention). Parts are written whole,
 * to a temporary name and renamed, so an interrupted run leaves only complete parts, which the
 * next run checks and keeps; the manifest comes last. The chain is append-only and the files are
 * exactly what the entries give, so writing the same window again changes nothing.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Checkpoint } from '../model/audit';
import type { ExportedEvent } from '../model/api';
import { sha256Text } from './chain';
import { ExportManifest, type ExportPart, manifestName, partName } from './exportArchive';

export class ExportDirectoryTaken extends Error {}

export interface ExportPlan {
  dir: string;
  since: string | null;
  until: string | null;
  from: number;
  checkpoint: Checkpoint;
  perPart: number;
  /** Entries from..to (at most 1,000) with their events, in order. */
  events(from: number, to: number): Promise<ExportedEvent[]>;
}

export interface ExportWritten {
  manifest: ExportManifest;
  parts: number;
  /** Parts an earlier run had written whole, kept. */
  kept: number;
  /** The directory already held this export: nothing was written. */
  unchanged: boolean;
}

export async function writeExport(plan: ExportPlan): Promise<ExportWritten> {
  const { dir, from, checkpoint } = plan;
  const to = checkpoint.seq;
  mkdirSync(dir, { recursive: true });
  const manifestFile = join(dir, manifestName);
  const before = readManifest(manifestFile);
  if (before === 'invalid' || (before && (before.from !== from || before.since !== plan.since || before.until !== plan.until)))
    throw new ExportDirectoryTaken(
      `${dir} holds another export${before === 'invalid' ? '' : ` (entries ${before.from}..${before.to})`}; write this one to another directory`,
    );
  const parts: ExportPart[] = [];
  let previousHash: string | null = null;
  let kept = 0;
  for (let start = from; start <= to; start += plan.perPart) {
    const end = Math.min(start + plan.perPart - 1, to);
    const file = partName(start, end);
    const path = join(dir, file);
    const done = existsSync(path) ? completePart(path, start, end) : null;
    if (done) {
      previousHash ??= done.firstPrev;
      parts.push({ file, from: start, to: end, lines: end - start + 1, sha256: done.sha256 });
      kept++;
      continue;
    }
    const lines: string[] = [];
    for (let page = start; page <= end; page += 1000) {
      for (const e of await plan.events(page, Math.min(page + 999, end))) lines.push(JSON.stringify(e));
    }
    if (lines.length !== end - start + 1) throw new Error(`entries ${start}..${end}: ${lines.length} found, the chain has a gap`);
    previousHash ??= (JSON.parse(lines[0]!) as { prevHash: string }).prevHash;
    const data = gzipSync(`${lines.join('\n')}\n`);
    writeFileSync(`${path}.partial`, data);
    renameSync(`${path}.partial`, path);
    parts.push({ file, from: start, to: end, lines: lines.length, sha256: sha256Text(data) });
  }
  const manifest: ExportManifest = {
    format: 'code-lineage-export/v1',
    since: plan.since,
    until: plan.until,
    from,
    to,
    previousHash: previousHash!,
    parts,
    checkpoint,
    exportedAt: new Date().toISOString(),
  };
  const unchanged = Boolean(before && before.to === to && JSON.stringify(before.parts) === JSON.stringify(parts));
  if (!unchanged) {
    writeFileSync(`${manifestFile}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(`${manifestFile}.partial`, manifestFile);
  }
  return { manifest: unchanged && before ? before : manifest, parts: parts.length, kept: unchanged ? parts.length : kept, unchanged };
}

function readManifest(file: string): ExportManifest | 'invalid' | null {
  if (!existsSync(file)) return null;
  try {
    const parsed = ExportManifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : 'invalid';
  } catch {
    return 'invalid';
  }
}

/**
 * A part left by an earlier run, if it is whole: gzip that reads, one line per entry start..end,
 * each linking to the one before. Anything else is written again.
 */
function completePart(path: string, start: number, end: number): { sha256: string; firstPrev: string } | null {
  try {
    const data = readFileSync(path);
    const lines = gunzipSync(data).toString('utf8').split('\n').filter(Boolean);
    if (lines.length !== end - start + 1) return null;
    const events = lines.map((l) => JSON.parse(l) as { seq: number; prevHash: string; hash: string });
    for (let i = 0; i < events.length; i++) {
      if (events[i]!.seq !== start + i) return null;
      if (i > 0 && events[i]!.prevHash !== events[i - 1]!.hash) return null;
    }
    return { sha256: sha256Text(data), firstPrev: events[0]!.prevHash };
  } catch {
    return null;
  }
}
