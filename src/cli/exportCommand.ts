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
import { parseArgs } from 'node:util';
import { entriesPerPart, verifyExport } from '../core/audit/exportArchive';
import { ExportDirectoryTaken, writeExport } from '../core/audit/exportWriter';
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
    let written;
    try {
      written = await writeExport({ dir, since, until, from, checkpoint, perPart, events: (a, b) => client.auditEvents(a, b) });
    } catch (e) {
      if (e instanceof ExportDirectoryTaken) throw new UsageError(e.message);
      throw e;
    }
    const same = written.unchanged;
    const kept = written.kept;
    const parts = written.manifest.parts;
    const check = verifyExport(dir);
    const summary = {
      ok: check.ok,
      from,
      to,
      entries: to - from + 1,
      parts: parts.length,
      partsKept: kept,
      unchanged: same,
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
