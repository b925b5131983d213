/**
 * Upserts facts with multi-row statements (one per table and chunk), merging facts that describe
 * the same row by rank first, in memory and then against what is stored, with one rule in both
 * places, column by column: a column holds the value of the highest-ranked fact that gave it one.
 * Each row keeps the rank its columns' values came from (`ranks`, naming only those whose rank is not
 * the row's own), so the result is the same in whatever order and grouping the facts arrive; the
 * row's own rank and event are the highest.
 */
import type { DeploymentFact, Fact, FindingFact, PullRequestFact } from '../../core/ingest/facts';
import type { SqlExecutor } from './database';

type TableName = Fact['table'];

const primaryKeys: Record<TableName, string[]> = {
  commits: ['repo', 'sha'],
  pull_requests: ['repo', 'number'],
  reviews: ['repo', 'id'],
  builds: ['id'],
  artifacts: ['digest'],
  attestations: ['id'],
  deployments: ['id'],
  approvals: ['id'],
  findings: ['id'],
};

/**
 * Rows known by an id the sender chooses (a deploy script's deployment id, a scanner's finding id)
 * that belong to one repository, by the noun an error names them with; the id is the table's
 * primary key. The id space is the service's, so a second repository using an id already taken
 * would merge its facts into the first one's row: refused instead.
 */
const owned: Partial<Record<TableName, string>> = {
  deployments: 'deployment',
  approvals: 'approval',
  builds: 'build',
  findings: 'finding',
  attestations: 'attestation',
  artifacts: 'artifact',
};

const idColumn = (table: TableName) => primaryKeys[table][0]!;

/** An event naming, for its repository, an id another repository's row already has. */
export class OwnershipConflict extends Error {
  override name = 'OwnershipConflict';
  constructor(
    readonly noun: string,
    readonly id: string,
    readonly owner: string,
    readonly claimant: string,
  ) {
    super(
      `${noun} "${id}" belongs to ${owner}; an event of ${claimant} cannot use the same id (ids are shared by every repository the service holds)`,
    );
  }

  static is(e: unknown): e is OwnershipConflict {
    return e instanceof OwnershipConflict;
  }
}

/** Each owned table with the column its id is in. */
export function ownedTables(): [TableName, string][] {
  return (Object.keys(owned) as TableName[]).map((table) => [table, idColumn(table)]);
}

export interface OwnedClaim {
  /** `<table>\u0000<id>`: the row the fact is about. */
  key: string;
  table: TableName;
  id: string;
  repo: string;
}

/** The row a fact of an owned table is about and the repository it claims it for; null for others. */
export function ownedClaim(fact: Fact): OwnedClaim | null {
  if (!owned[fact.table]) return null;
  const row = fact.row as Record<string, unknown>;
  const id = row[idColumn(fact.table)];
  return typeof id === 'string' && typeof row.repo === 'string'
    ? { key: `${fact.table}\u0000${id}`, table: fact.table, id, repo: row.repo }
    : null;
}

/**
 * Throws OwnershipConflict when a fact's row (by id) is another repository's: among the facts
 * themselves, or in the store. A fact without a repository claims nothing.
 */
async function refuseForeignIds(tx: SqlExecutor, facts: { fact: Fact }[]): Promise<void> {
  const claims = new Map<string, OwnedClaim>();
  for (const { fact } of facts) {
    const claim = ownedClaim(fact);
    if (!claim) continue;
    const other = claims.get(claim.key);
    if (other && other.repo !== claim.repo) throw new OwnershipConflict(owned[claim.table]!, claim.id, other.repo, claim.repo);
    claims.set(claim.key, claim);
  }
  for (const [table, column] of ownedTables()) {
    const ids = [...claims.values()].filter((c) => c.table === table).map((c) => c.id);
    if (ids.length === 0) continue;
    const stored = await tx.query<{ id: string; repo: string }>(
      `SELECT ${column} AS id, repo FROM ${table} WHERE ${column} = ANY($1::text[]) AND repo IS NOT NULL`,
      [ids],
    );
    for (const { id, repo } of stored.rows) {
      const claimant = claims.get(`${table}\u0000${id}`)!.repo;
      if (claimant !== repo) throw new OwnershipConflict(owned[table]!, id, repo, claimant);
    }
  }
}

/**
 * A finding's detail (a rule's full description, a stack) is kept to this many characters, so a
 * page of findings stays a few megabytes. Applied here, where both ingest and verification's
 * replay write, so the served row is still exactly what its event yields.
 */
export const maxDetailChars = 8192;

function capped(row: Record<string, unknown>): Record<string, unknown> {
  const detail = row.detail;
  return typeof detail === 'string' && detail.length > maxDetailChars ? { ...row, detail: `${detail.slice(0, maxDetailChars)}…` } : row;
}

interface Keyed {
  rank: string;
  eventKey: string;
  row: Record<string, unknown>;
  /** For each column with a value, the rank of the fact it came from. */
  ranks: Record<string, string>;
  fact: Fact;
}

function keyed(fact: Fact, eventKey: string, row: Record<string, unknown>): Keyed {
  const ranks: Record<string, string> = {};
  const pk = primaryKeys[fact.table];
  for (const [col, value] of Object.entries(row)) if (value !== null && value !== undefined && !pk.includes(col)) ranks[col] = fact.rank;
  return { rank: fact.rank, eventKey, row, ranks, fact };
}

function mergeRows(a: Keyed, b: Keyed): Keyed {
  const [hi, lo] = a.rank >= b.rank ? [a, b] : [b, a];
  const row: Record<string, unknown> = {};
  const ranks: Record<string, string> = {};
  for (const col of Object.keys(hi.row)) {
    if (hi.ranks[col] === undefined && lo.ranks[col] === undefined) {
      row[col] = hi.row[col] ?? lo.row[col] ?? null; // a key column: the same in both
      continue;
    }
    const fromHi = hi.ranks[col];
    const fromLo = lo.ranks[col];
    const pick = fromHi !== undefined && (fromLo === undefined || fromHi >= fromLo) ? hi : fromLo !== undefined ? lo : null;
    row[col] = pick ? pick.row[col] : null;
    if (pick) ranks[col] = pick.ranks[col]!;
  }
  return { rank: hi.rank, eventKey: hi.eventKey, row, ranks, fact: hi.fact };
}

/**
 * Writes the facts of one transaction; `auditSeq` is its newest audit entry, recorded on every row
 * it touches (never lowered), so verification knows which rows events after its snapshot changed.
 */
/**
 * `refuse`: check that no fact takes another repository's id (ingest); a replay of stored events
 * for verification does not, since what is stored is what it re-derives.
 */
export async function writeFacts(
  tx: SqlExecutor,
  facts: { fact: Fact; eventKey: string }[],
  auditSeq: number,
  options: { refuseForeignIds?: boolean } = {},
): Promise<void> {
  const byTable = new Map<TableName, Map<string, Keyed>>();
  const prCommits = new Map<string, [string, string, number]>();
  const findingLocations = new Map<string, (FindingFact & { rank: string })[]>();

  for (const { fact, eventKey } of facts) {
    const pk = primaryKeys[fact.table];
    const row = capped(fact.row);
    const id = pk.map((c) => String(row[c])).join('\u0000');
    let rows = byTable.get(fact.table);
    if (!rows) byTable.set(fact.table, (rows = new Map<string, Keyed>()));
    const incoming = keyed(fact, eventKey, row);
    const existing = rows.get(id);
    rows.set(id, existing ? mergeRows(existing, incoming) : incoming);
    if (fact.table === 'pull_requests') {
      for (const sha of (fact as PullRequestFact).commits) {
        prCommits.set(`${fact.row.repo}\u0000${sha}\u0000${fact.row.number}`, [fact.row.repo, sha, fact.row.number]);
      }
    }
    if (fact.table === 'findings') {
      const list = findingLocations.get(fact.row.id) ?? [];
      list.push(fact);
      findingLocations.set(fact.row.id, list);
    }
  }

  if (options.refuseForeignIds) await refuseForeignIds(tx, facts);

  // Where the deployments about to be written stood in their tools' order before: a deployment that
  // moves (another sequence, environment or tool) changes the order from its old place too.
  const deploymentIds = [...(byTable.get('deployments')?.values() ?? [])].map((k) => String(k.row.id));
  const before =
    deploymentIds.length === 0
      ? []
      : (
          await tx.query<OrderPlace>(
            'SELECT repo, environment, origin, sequence FROM deployments WHERE id = ANY($1::text[]) AND sequence IS NOT NULL',
            [deploymentIds],
          )
        ).rows;
  for (const [table, rows] of byTable) await upsert(tx, table, [...rows.values()], auditSeq);
  if (prCommits.size > 0) {
    await insertMany(
      tx,
      'pr_commits',
      ['repo', 'sha', 'number', 'audit_seq'],
      [...prCommits.values()].map((r) => [...r, auditSeq]),
      'ON CONFLICT DO NOTHING',
    );
  }
  const allFacts = facts.map((f) => f.fact);
  const linkedFindings = await resolveArtifactLinks(tx, byTable, allFacts, auditSeq);
  await orderDeployments(
    tx,
    allFacts.filter((f): f is Extract<Fact, { table: 'deployments' }> => f.table === 'deployments'),
    before,
    auditSeq,
  );
  if (findingLocations.size > 0) await writeFindingLocations(tx, findingLocations, auditSeq);
  const occurrences = facts.flatMap(({ fact }) =>
    fact.table === 'findings' && fact.occurrence ? [[fact.row.id, fact.occurrence.id, fact.occurrence.at, auditSeq]] : [],
  );
  if (occurrences.length > 0) {
    await insertMany(tx, 'finding_occurrences', ['finding_id', 'occurrence', 'at', 'audit_seq'], occurrences, 'ON CONFLICT DO NOTHING');
  }
  await bumpVersions(tx, allFacts, auditSeq);
  const touched = [...new Set([...findingLocations.keys(), ...linkedFindings])];
  if (touched.length > 0) {
    await tx.query(
      `UPDATE finding_locations AS l SET repo = f.repo, audit_seq = GREATEST(l.audit_seq, $2) FROM findings f
       WHERE l.finding_id = f.id AND f.id = ANY($1::text[]) AND l.repo IS DISTINCT FROM f.repo`,
      [touched, auditSeq],
    );
  }
}

/**
 * The entry that last changed what each repository's answers hold, for the service's answer
 * caches (several replicas share one store, so a cache asks the store, not itself, whether it is
 * current). An artifact or attestation, or a row without a repository, can fill in rows of any
 * repository (resolveArtifactLinks): it moves the version of all of them, `*`.
 */
async function bumpVersions(tx: SqlExecutor, facts: Fact[], auditSeq: number): Promise<void> {
  const repos = new Set<string>();
  for (const f of facts) {
    const repo = (f.row as { repo?: unknown }).repo;
    repos.add(typeof repo === 'string' && f.table !== 'artifacts' && f.table !== 'attestations' ? repo : '*');
  }
  if (repos.size === 0) return;
  await insertMany(
    tx,
    'repo_versions',
    ['repo', 'seq'],
    [...repos].map((r) => [r, auditSeq]),
    'ON CONFLICT (repo) DO UPDATE SET seq = GREATEST(repo_versions.seq, excluded.seq)',
  );
}

/**
 * Deployments and findings often name only an artifact digest (CDEvents carry no commit). Once the
 * artifact's repository and commit are known, from whichever event arrives first, they are filled
 * in, so every delivery order ends in the same state. Facts an event states itself are never
 * overwritten. Environments of a repository are kept as a small index for the environments query.
 */
async function resolveArtifactLinks(
  tx: SqlExecutor,
  byTable: Map<TableName, Map<string, Keyed>>,
  allFacts: Fact[],
  auditSeq: number,
): Promise<string[]> {
  const digests = new Set<string>();
  for (const table of ['deployments', 'findings', 'artifacts'] as const) {
    for (const keyed of byTable.get(table)?.values() ?? []) {
      const digest = keyed.row[table === 'artifacts' ? 'digest' : 'artifact_digest'];
      if (typeof digest === 'string') digests.add(digest);
    }
  }
  // Every environment any deployment fact names, not only the merged winners': a deployment id
  // reported first in one environment and then in another lists both however the reports were
  // grouped into transactions, so a replay of the events yields the same index.
  const environments = new Map<string, [string, string]>();
  for (const fact of allFacts) {
    if (fact.table !== 'deployments') continue;
    const { repo, environment } = fact.row;
    if (repo) environments.set(`${repo}\u0000${environment}`, [repo, environment]);
  }
  let linkedFindings: string[] = [];
  if (digests.size > 0) {
    const list = [...digests];
    const set = `SET repo = COALESCE(d.repo, a.repo), commit_sha = COALESCE(d.commit_sha, a.commit_sha), audit_seq = GREATEST(d.audit_seq, $2)
         FROM artifacts a
         WHERE a.digest = d.artifact_digest AND d.artifact_digest = ANY($1::text[])
           AND (d.repo IS NULL OR d.commit_sha IS NULL) AND (a.repo IS NOT NULL OR a.commit_sha IS NOT NULL)`;
    const deployments = await tx.query<{ repo: string | null; environment: string }>(
      `UPDATE deployments AS d ${set} RETURNING d.repo, d.environment`,
      [list, auditSeq],
    );
    for (const { repo, environment } of deployments.rows) if (repo) environments.set(`${repo}\u0000${environment}`, [repo, environment]);
    const findings = await tx.query<{ id: string }>(`UPDATE findings AS d ${set} RETURNING d.id`, [list, auditSeq]);
    linkedFindings = findings.rows.map((r) => r.id);
  }
  if (environments.size > 0) {
    await insertMany(
      tx,
      'environments',
      ['repo', 'name', 'audit_seq'],
      [...environments.values()].map((e) => [...e, auditSeq]),
      'ON CONFLICT DO NOTHING',
    );
  }
  return linkedFindings;
}

/** Where a deployment stands in its tool's order. */
interface OrderPlace {
  repo: string | null;
  environment: string;
  origin: string | null;
  sequence: string | number | null;
}

interface ToolOrder {
  repo: string;
  environment: string;
  origin: string;
  /** The lowest sequence whose place may have changed. */
  from: bigint;
}

/**
 * The time each deployment takes in its environment's order: its own time, raised to the latest
 * time of any deployment the same tool ordered before it (by `sequence` within `origin`). A clock
 * that lags cannot put a later deployment before an earlier one; the result depends only on the
 * set of deployments, so a replay of the events gives the same order.
 *
 * Only the deployments from the lowest place a batch touched onwards are worked out again, raised
 * to the time of the one just before them (whose own time already carries everything before it):
 * a deployment appended to a long history costs one index step, not the history.
 */
async function orderDeployments(
  tx: SqlExecutor,
  deploymentFacts: Pick<DeploymentFact, 'row'>[],
  before: OrderPlace[],
  auditSeq: number,
): Promise<void> {
  const ids = deploymentFacts.map((f) => f.row.id);
  if (ids.length === 0) return;
  // Only the tools whose sequenced deployments this batch wrote (or moved) need their order worked
  // out again, and only from the lowest place it touched.
  const places = new Map<string, ToolOrder>();
  for (const place of [...deploymentFacts.map((f) => f.row), ...before]) {
    const { repo, environment, origin, sequence } = place;
    if (!repo || sequence === null) continue;
    const key = `${repo}\u0000${environment}\u0000${origin ?? ''}`;
    const from = BigInt(sequence);
    const known = places.get(key);
    if (!known || from < known.from) places.set(key, { repo, environment, origin: origin ?? '', from });
  }
  const tools = [...places.values()];
  // Without a sequence, or until its tool's order is worked out, a deployment's own time is its place.
  await tx.query(
    `UPDATE deployments SET effective_at = at WHERE id = ANY($1::text[]) AND (sequence IS NULL OR effective_at IS NULL) AND effective_at IS DISTINCT FROM at`,
    [ids],
  );
  if (tools.length === 0) return;
  // Worked out first and written second: joined in one UPDATE, the planner scans every deployment.
  const moved = await tx.query<{ id: string; effective_at: string }>(
    `SELECT o.id, o.effective_at FROM (
       SELECT x.id, x.effective_at AS current,
              GREATEST(max(x.at) OVER (PARTITION BY x.repo, x.environment, x.origin ORDER BY x.sequence), t.before) AS effective_at
       FROM (
         SELECT g.*, (
           SELECT p.effective_at FROM deployments p
           WHERE p.repo = g.repo AND p.environment = g.environment AND p.origin = g.origin
             AND p.sequence IS NOT NULL AND p.sequence < g.from_seq
           ORDER BY p.sequence DESC LIMIT 1
         ) AS before
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS g(repo, environment, origin, from_seq)
       ) t
       JOIN deployments x
         ON x.repo = t.repo AND x.environment = t.environment AND x.origin = t.origin
        AND x.sequence IS NOT NULL AND x.sequence >= t.from_seq
     ) o
     WHERE o.effective_at IS DISTINCT FROM o.current`,
    [tools.map((t) => t.repo), tools.map((t) => t.environment), tools.map((t) => t.origin), tools.map((t) => t.from.toString())],
  );
  if (moved.rows.length === 0) return;
  await tx.query(
    `UPDATE deployments AS d SET effective_at = o.effective_at, audit_seq = GREATEST(d.audit_seq, $3)
     FROM unnest($1::text[], $2::timestamptz[]) AS o(id, effective_at) WHERE d.id = o.id`,
    [moved.rows.map((r) => r.id), moved.rows.map((r) => r.effective_at), auditSeq],
  );
}

/**
 * Columns a new row is given on insert and an update leaves alone. A deployment's place in time is
 * its own time until its tool's order says otherwise (orderDeployments): given at insert, a new
 * deployment is written once, not inserted and then rewritten with every index entry again.
 */
const onInsert: Partial<Record<TableName, Record<string, (row: Record<string, unknown>) => unknown>>> = {
  deployments: { effective_at: (row) => row.at ?? null },
};

async function upsert(tx: SqlExecutor, table: TableName, rows: Keyed[], auditSeq: number): Promise<void> {
  const pk = primaryKeys[table];
  const dataCols = Object.keys(rows[0]!.row);
  const initial = Object.entries(onInsert[table] ?? {}).filter(([c]) => !dataCols.includes(c));
  const cols = [...dataCols, ...initial.map(([c]) => c), 'rank', 'event_key', 'audit_seq', 'ranks'];
  const newer = `EXCLUDED.rank COLLATE "C" > t.rank COLLATE "C"`;
  const valueCols = dataCols.filter((c) => !pk.includes(c));
  // A row's `ranks` names only the columns whose value came from another rank than the row's own
  // (most rows come from one fact: none, and no bytes in the row); a column it does not name has
  // the row's rank. A value stored before ranks were kept counts the same way.
  const rankOf = (side: string, c: string) => `COALESCE(${side}.ranks->>'${c}', ${side}.rank)`;
  // The incoming value wins where it has one from a higher-ranked fact than the stored value's.
  const wins = (c: string) =>
    `(EXCLUDED.${c} IS NOT NULL AND (t.${c} IS NULL OR ${rankOf('EXCLUDED', c)} COLLATE "C" > ${rankOf('t', c)} COLLATE "C"))`;
  const sets = valueCols.map((c) => `${c} = CASE WHEN ${wins(c)} THEN EXCLUDED.${c} ELSE t.${c} END`);
  // Written against the row's rank after this update: a column kept from a lower rank than a newer
  // fact's is named, so that a later fact ranked between the two still wins it.
  const rowRank = `CASE WHEN ${newer} THEN EXCLUDED.rank ELSE t.rank END`;
  const ranks = valueCols.map(
    (c) =>
      `'${c}', NULLIF(CASE WHEN ${wins(c)} THEN ${rankOf('EXCLUDED', c)} WHEN t.${c} IS NOT NULL THEN ${rankOf('t', c)} END, ${rowRank})`,
  );
  sets.push(`ranks = NULLIF(jsonb_strip_nulls(jsonb_build_object(${ranks.join(', ')})), '{}'::jsonb)`);
  sets.push(`event_key = CASE WHEN ${newer} THEN EXCLUDED.event_key ELSE t.event_key END`);
  sets.push(`rank = ${rowRank}`);
  sets.push('audit_seq = GREATEST(t.audit_seq, EXCLUDED.audit_seq)');
  const conflict = `ON CONFLICT (${pk.join(', ')}) DO UPDATE SET ${sets.join(', ')}`;
  const values = rows.map((r) => [
    ...dataCols.map((c) => r.row[c] ?? null),
    ...initial.map(([, value]) => value(r.row)),
    r.rank,
    r.eventKey,
    auditSeq,
    rankedApart(r),
  ]);
  await insertMany(tx, `${table} AS t`, cols, values, conflict);
}

/** The columns whose value came from another rank than the row's, as stored in `ranks`; null when none did. */
function rankedApart(r: Keyed): string | null {
  const apart = Object.entries(r.ranks).filter(([, rank]) => rank !== r.rank);
  return apart.length === 0 ? null : JSON.stringify(Object.fromEntries(apart));
}

/**
 * Rows into `target` (a table, `AS alias` allowed), each column's values as one array parameter:
 * `INSERT … SELECT * FROM unnest($1::text[], $2::bigint[], …)`. The statement's text is the same
 * whatever the number of rows, so it is parsed and planned once per connection and then only bound
 * (`prepared`); a VALUES list has as many placeholders as values, a new text for every batch size,
 * and PostgreSQL spent most of such a statement binding and planning it afresh (the deployments'
 * upsert at 32 rows: 160–210 µs a row on PostgreSQL). Its plan has nothing to choose. The write
 * path's lookups (`id = ANY($1)`) are not kept prepared: PostgreSQL then settles on a generic plan
 * made while the table was small, a sequential scan, and kept it as the table grew (measured: 36 →
 * 280 µs a delivery within 8,000). No column may be an array itself (unnest would flatten it);
 * none is.
 */
export async function insertMany(tx: SqlExecutor, target: string, cols: string[], values: unknown[][], suffix: string): Promise<void> {
  if (values.length === 0) return;
  const types = await arrayTypesOf(tx, target.split(' ')[0]!, cols);
  const arrays = cols.map((_, i) => values.map((row) => row[i] ?? null));
  const unnest = types.map((type, i) => `$${i + 1}::${type}`).join(', ');
  await tx.query(`INSERT INTO ${target} (${cols.join(', ')}) SELECT * FROM unnest(${unnest}) ${suffix}`, arrays, { prepared: true });
}

/** Each column's array type (`text[]`, `timestamp with time zone[]`…) by `table.column`: every store has the same schema. */
const arrayTypes = new Map<string, string>();

async function arrayTypesOf(tx: SqlExecutor, table: string, cols: string[]): Promise<string[]> {
  if (cols.some((c) => !arrayTypes.has(`${table}.${c}`))) {
    const found = await tx.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(t.typarray, NULL) AS type FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
      [table],
    );
    for (const { name, type } of found.rows) arrayTypes.set(`${table}.${name}`, type);
  }
  return cols.map((c) => {
    const type = arrayTypes.get(`${table}.${c}`);
    if (type === undefined) throw new Error(`the store's table ${table} has no column ${c}`);
    return type;
  });
}

/**
 * A finding's locations follow the winning fact: the newest report's locations replace the old
 * ones; an older report only supplies locations when none are stored.
 */
async function writeFindingLocations(
  tx: SqlExecutor,
  byFinding: Map<string, (FindingFact & { rank: string })[]>,
  auditSeq: number,
): Promise<void> {
  const ids = [...byFinding.keys()];
  const stored = await tx.query<{ id: string; rank: string }>('SELECT id, rank FROM findings WHERE id = ANY($1::text[])', [ids]);
  const storedRank = new Map(stored.rows.map((r) => [r.id, r.rank]));
  const present = await tx.query<{ finding_id: string }>(
    'SELECT DISTINCT finding_id FROM finding_locations WHERE finding_id = ANY($1::text[])',
    [ids],
  );
  const hasLocations = new Set(present.rows.map((r) => r.finding_id));
  const replace: string[] = [];
  const rows: unknown[][] = [];
  for (const [id, facts] of byFinding) {
    const withLocations = facts.filter((f) => f.locations.length > 0).sort((a, b) => (a.rank < b.rank ? 1 : -1));
    const best = withLocations[0];
    if (!best) continue;
    const wins = storedRank.get(id) === best.rank;
    if (!wins && hasLocations.has(id)) continue;
    if (hasLocations.has(id)) replace.push(id);
    best.locations.forEach((l, ord) => rows.push([id, ord, l.path, l.line, l.end_line, l.col, l.revision, best.row.repo, auditSeq]));
  }
  if (replace.length > 0) await tx.query('DELETE FROM finding_locations WHERE finding_id = ANY($1::text[])', [replace]);
  if (rows.length > 0) {
    await insertMany(
      tx,
      'finding_locations',
      ['finding_id', 'ord', 'path', 'line', 'end_line', 'col', 'revision', 'repo', 'audit_seq'],
      rows,
      '',
    );
  }
}
