/**
 * `lineage export [--since DATE] [--until DATE] --out DIR`: the raw events and audit-chain entries
 * recorded in a window, with the service's signed checkpoint of the last entry, written as
 * gzip-compressed JSON Lines parts and a manifest that `lineage verify DIR` checks offline.
 *
 * Resumable: parts are written whole (to a temporary name, then renamed), so an interrupted run
 * leaves complete parts, which the next run checks and keeps. Idempotent: the chain is append-only
 * and the files are byte-for-byte what the entries give, so exporting the same window again
 * changes nothing; a directory holding another window's export is refused.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  entriesPerPart,
  ExportManifest,
  type ExportPart,
  manifestName,
  partName,
  sha256Hex,
  verifyExport,
} from '../core/audit/exportArchive';
import { ApiClient } from '../core/sources/apiClient';
import { ApiError } from '../core/sources/apiError';
import { terminalSafe } from './blameFormat';
import { apiUrlFrom, UsageError } from './usageError';

export const exportUsage = `usage: lineage export [--since DATE] [--until DATE] --out DIR [--api URL] [--token T] [--part-entries N] [--json]

Writes the events the service received in [--since, --until) (ISO dates or times; open ends when
left out), every audit-chain entry that covers them up to the next signed checkpoint, and that
checkpoint, to DIR: gzip-compressed JSON Lines parts of --part-entries entries (10,000) and
manifest.json. \`lineage verify DIR\` checks it offline. Run it again after an interruption to
continue; for a window already exported it changes nothing.`;

export async function runExport(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      out: { type: 'string' },
      api: { type: 'string' },
      token: { type: 'string' },
      'part-entries': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(exportUsage);
    return 0;
  }
  if (positionals.length) throw new UsageError(`export takes no arguments; give the directory with --out\n${exportUsage}`);
  if (!values.out) throw new UsageError(`name the directory to write with --out DIR\n${exportUsage}`);
  const time = (name: 'since' | 'until') => {
    const v = values[name];
    if (v === undefined) return null;
    if (Number.isNaN(Date.parse(v))) throw new UsageError(`--${name} must be a date such as 2026-01-01 or a time, got "${v}"`);
    return new Date(v).toISOString();
  };
  const since = time('since');
  const until = time('until');
  if (since && until && since >= until) throw new UsageError('--since must be before --until');
  const perPart = values['part-entries'] === undefined ? entriesPerPart : Number(values['part-entries']);
  if (!Number.isInteger(perPart) || perPart < 1 || perPart > 1_000_000)
    throw new UsageError(`--part-entries must be a whole number from 1 to 1,000,000, got "${values['part-entries']}"`);
  const dir = values.out;
  const client = new ApiClient({
    baseUrl: apiUrlFrom(values.api, env, 'export'),
    token: values.token ?? env.LINEAGE_TOKEN ?? env.LINEAGE_READ_TOKEN,
    retries: 2,
    timeoutMs: 60_000,
  });
  try {
    const range = await client.auditRange(since, until);
    if (range.from === null || range.to === null) {
      const said = `nothing was recorded${since ? ` since ${since}` : ''}${until ? ` before ${until}` : ''}; nothing written`;
      out(values.json ? JSON.stringify({ ok: true, entries: 0, message: said }) : said);
      return 0;
    }
    // The export ends at a signed checkpoint: the first one at or after the window's last entry
    // (the service signs the head of every batch it writes, so that is the window's own batch).
    const checkpoint = await client.checkpoint(range.to);
    const from = range.from;
    const to = checkpoint.seq;
    mkdirSync(dir, { recursive: true });
    const manifestFile = join(dir, manifestName);
    if (existsSync(manifestFile)) {
      const existing = ExportManifest.safeParse(JSON.parse(readFileSync(manifestFile, 'utf8')));
      if (!existing.success || existing.data.from !== from || existing.data.since !== since || existing.data.until !== until)
        throw new UsageError(
          `${dir} holds another export${existing.success ? ` (entries ${existing.data.from}..${existing.data.to})` : ''}; write this one to another directory`,
        );
    }
    const parts: ExportPart[] = [];
    let previousHash: string | null = null;
    let kept = 0;
    for (let start = from; start <= to; start += perPart) {
      const end = Math.min(start + perPart - 1, to);
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
        const events = await client.auditEvents(page, Math.min(page + 999, end));
        for (const e of events) lines.push(JSON.stringify(e));
      }
      if (lines.length !== end - start + 1)
        throw new UsageError(`the service returned ${lines.length} of entries ${start}..${end}: its chain has a gap; run "lineage verify"`);
      previousHash ??= (JSON.parse(lines[0]!) as { prevHash: string }).prevHash;
      const data = gzipSync(`${lines.join('\n')}\n`);
      writeFileSync(`${path}.partial`, data);
      renameSync(`${path}.partial`, path);
      parts.push({ file, from: start, to: end, lines: lines.length, sha256: sha256Hex(data) });
    }
    const manifest: ExportManifest = {
      format: 'code-lineage-export/v1',
      since,
      until,
      from,
      to,
      previousHash: previousHash!,
      parts,
      checkpoint,
      exportedAt: new Date().toISOString(),
    };
    // An export of this window that finished before keeps its manifest: nothing changes.
    const before = existsSync(manifestFile) ? ExportManifest.parse(JSON.parse(readFileSync(manifestFile, 'utf8'))) : null;
    const same = before && before.to === to && JSON.stringify(before.parts) === JSON.stringify(parts);
    if (!same) {
      writeFileSync(`${manifestFile}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
      renameSync(`${manifestFile}.partial`, manifestFile);
    }
    const check = verifyExport(dir);
    const summary = {
      ok: check.ok,
      from,
      to,
      entries: to - from + 1,
      parts: parts.length,
      partsKept: kept,
      unchanged: Boolean(same),
      keyId: checkpoint.keyId,
      problem: check.problem,
    };
    if (values.json) out(JSON.stringify(summary, null, 2));
    else
      out(
        check.ok
          ? `${same ? 'already exported' : 'exported'} entries ${from}..${to} (${to - from + 1} events, ${parts.length} part(s)${kept && !same ? `, ${kept} kept from an earlier run` : ''}) to ${terminalSafe(dir)}; verified: checkpoint ${to} signed by key ${checkpoint.keyId}`
          : `the export in ${terminalSafe(dir)} does not verify: ${terminalSafe(check.problem ?? '')}`,
      );
    return check.ok ? 0 : 1;
  } catch (e) {
    if (ApiError.is(e)) throw new UsageError(`${e.message}; run it again to continue where it stopped`);
    throw e;
  } finally {
    await client.close();
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
    return { sha256: sha256Hex(data), firstPrev: events[0]!.prevHash };
  } catch {
    return null;
  }
}
