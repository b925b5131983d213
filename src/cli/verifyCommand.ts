/**
 * `lineage verify`: is what the service recorded still what it recorded? Against the service, the
 * whole chain is recomputed and every served row re-derived there, the latest checkpoint's
 * signature is checked here, and an earlier checkpoint the auditor kept must still be part of the
 * chain (a deleted tail or a rewritten history fails). Given an evidence bundle, the same checks
 * run offline. Exit 0 intact, 1 broken (first broken entry on stderr), 2 bad input.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Checkpoint, checkpointSignatureProblem } from '../core/audit/chain';
import { EvidenceBundle, verifyBundle } from '../core/evidence/evidenceBundle';
import { verifyExport } from '../core/audit/exportArchive';
import { ApiClient } from '../core/sources/apiClient';
import { ApiError } from '../core/sources/apiError';
import { terminalSafe } from './blameFormat';
import { apiUrlFrom, UsageError } from './usageError';

export const verifyUsage = `usage: lineage verify [<bundle.json> | <export-dir>] [--api URL] [--token T] [--checkpoint FILE] [--key KEY_ID] [--save-checkpoint FILE] [--json]

Without a file: asks the service to recompute its audit chain and re-derive every served row from
the chained events, checks the signature of its latest checkpoint, and, with --checkpoint, that an
earlier checkpoint (saved from GET /v1/audit/checkpoint or --save-checkpoint) is still part of the
chain. With a bundle written by \`lineage evidence --bundle\`, or a directory written by \`lineage
export\`: verifies it offline (every file's checksum, every event against its entry, every link,
the signed checkpoint of the last entry).
--key pins the id of the key checkpoints must be signed with. Exit 0 intact, 1 broken, 2 bad input.`;

interface Outcome {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
  }
}

function offline(file: string, key: string | undefined): Outcome {
  const parsed = EvidenceBundle.safeParse(readJson(file, 'bundle'));
  if (!parsed.success)
    throw new UsageError(
      `${file} is not an evidence bundle: ${parsed.error.issues[0]?.path.join('.') || '(top level)'}: ${parsed.error.issues[0]?.message}`,
    );
  const v = verifyBundle(parsed.data, key);
  const checks = [
    {
      name: 'bundle',
      ok: v.ok,
      detail: v.ok
        ? `${v.events} events, ${v.items} items, chain to signed checkpoint(s) ${v.checkpoints.join(', ') || '(none)'}, key ${v.keyIds.join(', ') || '(none)'}`
        : v.problems.join('; '),
    },
  ];
  return { ok: v.ok, checks };
}

function exported(dir: string, key: string | undefined): Outcome {
  const v = verifyExport(dir, key);
  return {
    ok: v.ok,
    checks: [
      {
        name: 'export',
        ok: v.ok,
        detail: v.ok
          ? `entries ${v.from}..${v.to} (${v.entries} events): every file's checksum, every event, every link and the checkpoint of entry ${v.to} signed by key ${v.keyId}`
          : (v.problem ?? 'broken'),
      },
    ],
  };
}

async function online(
  client: ApiClient,
  earlierFile: string | undefined,
  key: string | undefined,
  saveTo: string | undefined,
): Promise<Outcome> {
  const checks: Outcome['checks'] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  let earlier: Checkpoint | undefined;
  if (earlierFile) {
    const parsed = Checkpoint.safeParse(readJson(earlierFile, 'checkpoint'));
    if (!parsed.success)
      throw new UsageError(
        `${earlierFile} is not a checkpoint: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
      );
    earlier = parsed.data;
  }
  const verification = await client.verifyAudit();
  add(
    'chain',
    verification.ok,
    verification.ok
      ? `${verification.entries} entries recomputed, every served row re-derived from its events`
      : `broken at entry ${verification.brokenAt ?? '?'}: ${verification.reason}`,
  );
  for (const d of verification.differences.slice(1, 5)) add('row', false, `${d.table} ${d.key}: ${d.what}`);
  let latest: Checkpoint | null = null;
  try {
    latest = await client.checkpoint();
  } catch (e) {
    if (!ApiError.is(e, 'notFound')) throw e;
  }
  if (latest) {
    const problem = checkpointSignatureProblem(latest);
    add('checkpoint', problem === null, problem ?? `entry ${latest.seq} signed by key ${latest.keyId}`);
    if (key)
      add(
        'key',
        latest.keyId === key,
        latest.keyId === key ? `signed by the expected key ${key}` : `signed by ${latest.keyId}, not the expected key ${key}`,
      );
    if (verification.checkpoint && verification.checkpoint.seq > latest.seq)
      add(
        'checkpoint',
        false,
        `the service verified up to checkpoint ${verification.checkpoint.seq} but serves ${latest.seq} as its latest`,
      );
  } else if (verification.entries > 0) add('checkpoint', false, 'the service has entries but no signed checkpoint');
  if (earlier) {
    const problem = checkpointSignatureProblem(earlier);
    if (problem) add('earlier checkpoint', false, problem);
    else if (latest && earlier.keyId !== latest.keyId)
      add('earlier checkpoint', false, `signed by ${earlier.keyId}, while the service now signs with ${latest.keyId}`);
    else if (!latest || latest.seq < earlier.seq)
      add(
        'earlier checkpoint',
        false,
        `the chain ends at entry ${latest?.seq ?? 0}, before the checkpoint's entry ${earlier.seq}: entries were deleted`,
      );
    else {
      const [entry] = await client.auditEntries(earlier.seq, earlier.seq);
      const first = entry ? null : (await client.auditRange(null, null)).from;
      if (!entry && first !== null && first > earlier.seq)
        add(
          'earlier checkpoint',
          true,
          `entry ${earlier.seq} was moved out by retention (the store's chain starts at entry ${first}, from a signed cut the service verifies): check it with "lineage verify" on the export that holds it`,
        );
      else if (!entry) add('earlier checkpoint', false, `entry ${earlier.seq} is gone: entries were deleted`);
      else if (entry.hash !== earlier.hash)
        add(
          'earlier checkpoint',
          false,
          `entry ${earlier.seq} now hashes to ${entry.hash.slice(0, 16)}…, the checkpoint says ${earlier.hash.slice(0, 16)}…: the history was rewritten`,
        );
      else add('earlier checkpoint', true, `entry ${earlier.seq} is unchanged and the chain extends it to ${latest.seq}`);
    }
  }
  const ok = checks.every((c) => c.ok);
  if (saveTo && ok && latest) writeFileSync(saveTo, `${JSON.stringify(latest, null, 2)}\n`);
  return { ok, checks };
}

export async function runVerify(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      api: { type: 'string' },
      token: { type: 'string' },
      checkpoint: { type: 'string' },
      key: { type: 'string' },
      'save-checkpoint': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    out(verifyUsage);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`verify takes at most one bundle file or export directory\n${verifyUsage}`);
  let outcome: Outcome;
  if (positionals.length === 1) {
    if (values.checkpoint || values['save-checkpoint'])
      throw new UsageError('--checkpoint and --save-checkpoint are for verifying the service, not a bundle');
    outcome = statSync(positionals[0]!, { throwIfNoEntry: false })?.isDirectory()
      ? exported(positionals[0]!, values.key)
      : offline(positionals[0]!, values.key);
  } else {
    const apiUrl = apiUrlFrom(values.api, env, 'verify (without a bundle)');
    const client = new ApiClient({
      baseUrl: apiUrl,
      token: values.token ?? env.LINEAGE_TOKEN ?? env.LINEAGE_READ_TOKEN,
      retries: 1,
      timeoutMs: 600_000,
    });
    try {
      outcome = await online(client, values.checkpoint, values.key, values['save-checkpoint']);
    } finally {
      await client.close();
    }
  }
  if (values.json) out(JSON.stringify(outcome, null, 2));
  else for (const c of outcome.checks) out(`${c.ok ? '✔' : '✘'} ${c.name}: ${terminalSafe(c.detail)}`);
  const firstBroken = outcome.checks.find((c) => !c.ok);
  if (firstBroken) err(`lineage: verification failed: ${terminalSafe(`${firstBroken.name}: ${firstBroken.detail}`)}`);
  return outcome.ok ? 0 : 1;
}
