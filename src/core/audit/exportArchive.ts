/**
 * The export an auditor keeps: a directory of gzip-compressed JSON Lines files, each holding a
 * contiguous run of the audit chain with every chained event's raw text, and a manifest naming the
 * parts (their entries, line counts and SHA-256), the hash the first entry links back to, and the
 * service's signed checkpoint of the last entry. It is verified here, offline, with nothing but
 * the directory: every file's checksum, every event against its entry's hash, every link and
 * entry hash, and the checkpoint's Ed25519 signature over the last entry. Exports of successive
 * windows chain: the one's `previousHash` is the last hash of the one before.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { Checkpoint } from '../model/audit';
import { ExportedEvent } from '../model/api';
import { chainHash, checkpointSignatureProblem, genesisHash, sha256Text } from './chain';

export const manifestName = 'manifest.json';
/** Entries per part: a part is the unit an interrupted export resumes at. */
export const entriesPerPart = 10_000;

export const ExportPart = z.object({
  file: z.string().regex(/^events-\d{12}-\d{12}\.jsonl\.gz$/),
  from: z.number().int().min(1),
  to: z.number().int().min(1),
  lines: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ExportPart = z.infer<typeof ExportPart>;

export const ExportManifest = z.object({
  format: z.literal('code-lineage-export/v1'),
  /** The window asked for (received times), as given; null for an open end. */
  since: z.string().nullable(),
  until: z.string().nullable(),
  /** The entries held: from..to, contiguous. */
  from: z.number().int().min(1),
  to: z.number().int().min(1),
  /** The hash entry `from` links back to: `genesis` for the first entry, else the last hash of the export before. */
  previousHash: z.string(),
  parts: z.array(ExportPart).min(1),
  /** The service's signed checkpoint of entry `to`. */
  checkpoint: Checkpoint,
  exportedAt: z.string(),
});
export type ExportManifest = z.infer<typeof ExportManifest>;

export function partName(from: number, to: number): string {
  return `events-${String(from).padStart(12, '0')}-${String(to).padStart(12, '0')}.jsonl.gz`;
}

export interface ExportVerification {
  ok: boolean;
  entries: number;
  from: number | null;
  to: number | null;
  keyId: string | null;
  /** The first problem found, naming the file and entry. */
  problem: string | null;
}

/** Verifies an export directory offline; `key` pins the id of the key the checkpoint must be signed with. */
export function verifyExport(dir: string, key?: string): ExportVerification {
  const fail = (problem: string, m?: ExportManifest, entries = 0): ExportVerification => ({
    ok: false,
    entries,
    from: m?.from ?? null,
    to: m?.to ?? null,
    keyId: m?.checkpoint.keyId ?? null,
    problem,
  });
  const manifestFile = join(dir, manifestName);
  if (!existsSync(manifestFile)) return fail(`${manifestName} is missing: not an export, or one that did not finish`);
  let manifest: ExportManifest;
  try {
    const parsed = ExportManifest.safeParse(JSON.parse(readFileSync(manifestFile, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return fail(`${manifestName}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
    }
    manifest = parsed.data;
  } catch (e) {
    return fail(`${manifestName} is not JSON: ${(e as Error).message}`);
  }
  const cp = manifest.checkpoint;
  const signature = checkpointSignatureProblem(cp);
  if (signature) return fail(`checkpoint: ${signature}`, manifest);
  if (key && cp.keyId !== key) return fail(`checkpoint: signed by ${cp.keyId}, not the expected key ${key}`, manifest);
  if (cp.seq !== manifest.to) return fail(`checkpoint: it signs entry ${cp.seq}, the export ends at ${manifest.to}`, manifest);
  if (manifest.from === 1 && manifest.previousHash !== genesisHash)
    return fail('the export starts at entry 1 but does not link back to the genesis', manifest);

  let expected = manifest.from;
  let prev = manifest.previousHash;
  let count = 0;
  for (const part of manifest.parts) {
    if (part.from !== expected) return fail(`${part.file}: starts at entry ${part.from}, expected ${expected}`, manifest, count);
    if (part.file !== partName(part.from, part.to))
      return fail(`${part.file}: its name does not match entries ${part.from}..${part.to}`, manifest, count);
    let data: Buffer;
    try {
      data = readFileSync(join(dir, part.file));
    } catch {
      return fail(`${part.file} is missing`, manifest, count);
    }
    if (sha256Text(data) !== part.sha256)
      return fail(`${part.file}: its SHA-256 is not the manifest's: the file was changed`, manifest, count);
    let lines: string[];
    try {
      lines = gunzipSync(data)
        .toString('utf8')
        .split('\n')
        .filter((l) => l.length > 0);
    } catch (e) {
      return fail(`${part.file} is not gzip: ${(e as Error).message}`, manifest, count);
    }
    if (lines.length !== part.lines || lines.length !== part.to - part.from + 1)
      return fail(`${part.file}: ${lines.length} lines, the manifest says entries ${part.from}..${part.to}`, manifest, count);
    for (const line of lines) {
      let event: ExportedEvent;
      try {
        event = ExportedEvent.parse(JSON.parse(line));
      } catch (e) {
        return fail(`${part.file}, entry ${expected}: not an exported event (${(e as Error).message.slice(0, 120)})`, manifest, count);
      }
      if (event.seq !== expected) return fail(`${part.file}: entry ${expected} is missing`, manifest, count);
      if (event.prevHash !== prev) return fail(`${part.file}, entry ${event.seq}: its previous-hash link does not match`, manifest, count);
      if (sha256Text(event.raw) !== event.eventHash)
        return fail(`${part.file}, entry ${event.seq}: event ${event.key} no longer matches its hash`, manifest, count);
      if (chainHash(event.prevHash, event.seq, event.key, event.eventHash) !== event.hash)
        return fail(`${part.file}, entry ${event.seq}: the entry hash does not match`, manifest, count);
      prev = event.hash;
      expected++;
      count++;
    }
  }
  if (expected !== manifest.to + 1)
    return fail(`the parts end at entry ${expected - 1}, the manifest says ${manifest.to}`, manifest, count);
  if (prev !== cp.hash)
    return fail(
      `entry ${manifest.to} hashes to ${prev.slice(0, 16)}…, the signed checkpoint says ${cp.hash.slice(0, 16)}…`,
      manifest,
      count,
    );
  return { ok: true, entries: count, from: manifest.from, to: manifest.to, keyId: cp.keyId, problem: null };
}
