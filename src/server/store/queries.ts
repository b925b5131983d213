/** The read side: every query the API answers, returning domain shapes. */
import type {
  ArtifactResponse,
  CommitLineage,
  DeploymentsPage,
  EnvironmentsResponse,
  ExportedEvent,
  FindingsResponse,
  StoredEvent,
} from '../../core/model/api';
import type { Deployment, Finding } from '../../core/model/domain';
import type { Database, SqlExecutor } from './database';
import { storedText } from './storedRaw';
import type { AuditEntry, Checkpoint } from '../../core/audit/chain';
import {
  approvalOf,
  artifactOf,
  attestationOf,
  buildOf,
  commitOf,
  deploymentOf,
  findingOf,
  isoOrNull,
  pullRequestOf,
  reviewOf,
} from './rows';
import { groupBy } from '../../core/util/groupBy';

type Row = Record<string, unknown>;

/** Commits whose lineage a service keeps between batches: about 3 KB each. */
const cachedCommits = 20_000;
const comma = Buffer.from(',');
const closing = Buffer.from(']}');

/** A query's rows as one JSON array (text), `[]` when there are none; order is the query's. */
function jsonArray(sql: string): string {
  return `coalesce((SELECT json_agg(t) FROM (${sql}) t), '[]'::json)::text`;
}

/**
 * The approvals of the deployments `deployments` (a table expression with their id, repo,
 * environment and run id): those given to the deployment, and those given to the CI run that made
 * it in its environment; each row names its deployment as `for_deployment`.
 */
function approvalsOf(approvalCols: string, deployments: string): string {
  return `SELECT ${approvalCols}, d.id AS for_deployment FROM ${deployments} d JOIN approvals a ON a.deployment_id = d.id
     UNION ALL
     SELECT ${approvalCols}, d.id AS for_deployment FROM ${deployments} d
       JOIN approvals a ON a.run_id = d.run_id AND a.repo = d.repo AND a.environment = d.environment
     WHERE d.run_id IS NOT NULL AND a.deployment_id IS NULL
     ORDER BY at, id`;
}

/** Deployment rows as the API's deployments, each with its approvals from `approvalsOf`. */
function deploymentsWith(rows: Row[], approvals: Row[]): Deployment[] {
  const byDeployment = groupBy(approvals, (a) => String(a.for_deployment));
  return rows.map((r) => deploymentOf(r, (byDeployment.get(String(r.id)) ?? []).map(approvalOf)));
}

const lineageParts = [
  'commits',
  'pullRequests',
  'reviews',
  'prCommits',
  'builds',
  'artifacts',
  'attestations',
  'deployments',
  'approvals',
] as const;
type LineagePart = (typeof lineageParts)[number];

/**
 * A lineage part's rows as one JSON array (`[]` when there are none): each row an object keyed by
 * column, or, `positional`, an array of its values in the order of `keys`. Without a key repeated
 * in every row the database builds and the service parses a third fewer bytes (100 commits: 360 →
 * 250 KB). Through `lineage serve` on a million events, nine runs interleaved with the keyed form,
 * a first read in the embedded store took 24.7 ms at p50 (median of the runs) against 29.7; on
 * PostgreSQL the keyed form was the faster (the statement 7.5 ms in PostgreSQL's log against 11.8),
 * so each store gets its faster form.
 */
function jsonRows(sql: string, keys: string[], positional: boolean): string {
  // json_build_array takes at most 100 arguments (PostgreSQL's FUNC_MAX_ARGS).
  if (positional && keys.length > 100) throw new Error(`a lineage part of ${keys.length} columns is more than json_build_array takes`);
  const row = positional ? `json_build_array(${keys.map((k) => `t."${k}"`).join(', ')})` : 't';
  return `coalesce((SELECT json_agg(${row}) FROM (${sql}) t), '[]'::json)::text`;
}

/** The lineage batch's statement and, for each part, the names of its rows' values in order. */
export interface LineageStatement {
  sql: string;
  keys: Record<LineagePart, string[]>;
  positional: boolean;
}

/**
 * The lineage batch's one statement (`$1` the repository, `$2` the commits): each part a JSON
 * array of rows (`jsonRows`, positional or keyed). The commits asked for, the pull requests'
 * numbers and the deployments are read once and joined from; every lookup goes through an index
 * that starts with the repository, so a batch's rows sit on a few pages of it instead of one page
 * each across every repository's (a batch at a million events: 24 → 15 ms in the embedded store).
 * A row that names no repository is found by its commit in a lookup of its own. `columns` gives a
 * table's columns.
 */
export async function lineageStatement(columns: (table: string) => Promise<string[]>, positional: boolean): Promise<LineageStatement> {
  const tables = ['commits', 'pull_requests', 'builds', 'artifacts', 'attestations', 'deployments', 'reviews', 'approvals'] as const;
  const list = Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await columns(t)] as const))) as Record<
    (typeof tables)[number],
    string[]
  >;
  const select = (names: string[], alias: string) => names.map((c) => `${alias}.${c}`).join(', ');
  const ofCommits = (table: string, alias: string, columns: string, order: string) =>
    `SELECT * FROM (
       SELECT ${columns} FROM q JOIN ${table} ${alias} ON ${alias}.repo = $1 AND ${alias}.commit_sha = q.sha
       UNION ALL
       SELECT ${columns} FROM q JOIN ${table} ${alias} ON ${alias}.repo IS NULL AND ${alias}.commit_sha = q.sha
     ) u ORDER BY ${order}`;
  const keys: Record<LineagePart, string[]> = {
    commits: list.commits,
    pullRequests: ['for_sha', ...list.pull_requests],
    reviews: list.reviews,
    prCommits: ['number', 'sha'],
    builds: list.builds,
    artifacts: list.artifacts,
    attestations: list.attestations,
    deployments: list.deployments,
    approvals: [...list.approvals, 'for_deployment'],
  };
  const parts: Record<LineagePart, string> = {
    commits: `SELECT ${select(list.commits, 'c')} FROM q JOIN commits c ON c.repo = $1 AND c.sha = q.sha`,
    pullRequests: `SELECT pc.sha AS for_sha, ${select(list.pull_requests, 'p')} FROM pc JOIN pull_requests p ON p.repo = $1 AND p.number = pc.number ORDER BY p.number`,
    reviews: `SELECT ${select(list.reviews, 'r')} FROM numbers n JOIN reviews r ON r.repo = $1 AND r.pull_request = n.number ORDER BY at, id`,
    prCommits: `SELECT x.number, x.sha FROM numbers n JOIN pr_commits x ON x.repo = $1 AND x.number = n.number ORDER BY x.sha`,
    builds: ofCommits('builds', 'b', select(list.builds, 'b'), 'started_at, id'),
    artifacts: ofCommits('artifacts', 'a', select(list.artifacts, 'a'), 'created_at, digest'),
    attestations: ofCommits('attestations', 'a', select(list.attestations, 'a'), 'finished_at, id'),
    deployments: `SELECT * FROM d ORDER BY effective_at DESC, id DESC`,
    approvals: approvalsOf(select(list.approvals, 'a'), 'd'),
  };
  const sql = `WITH q AS MATERIALIZED (SELECT DISTINCT unnest($2::text[]) AS sha),
       pc AS MATERIALIZED (SELECT pc.sha, pc.number FROM q JOIN pr_commits pc ON pc.repo = $1 AND pc.sha = q.sha),
       numbers AS MATERIALIZED (SELECT DISTINCT number FROM pc),
       d AS MATERIALIZED (SELECT ${select(list.deployments, 'd')} FROM q JOIN deployments d ON d.repo = $1 AND d.commit_sha = q.sha)
     SELECT ${lineageParts.map((n) => `${jsonRows(parts[n], keys[n], positional)} AS "${n}"`).join(',\n')}`;
  return { sql, keys, positional };
}

/**
 * Each table's columns without the writer's bookkeeping (each column's rank, the row's rank, the
 * entry that last wrote it): no answer uses them, and the ranks alone are half of a row's JSON.
 * Read from the catalog (once a service), so a column a migration adds is served without a change
 * here.
 */
export async function servedColumns(db: SqlExecutor): Promise<Map<string, string[]>> {
  const r = await db.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name NOT IN ('ranks', 'rank', 'audit_seq')
      ORDER BY table_name, ordinal_position`,
  );
  const lists = new Map<string, string[]>();
  for (const row of r.rows) lists.set(row.table_name, [...(lists.get(row.table_name) ?? []), row.column_name]);
  return lists;
}

/** A part's rows as `jsonRows` sent them, each an object keyed by column. */
function keyedRows(text: string, keys: string[], positional: boolean): Row[] {
  if (!positional) return JSON.parse(text) as Row[];
  return (JSON.parse(text) as unknown[][]).map((values) => {
    const row: Row = {};
    for (let i = 0; i < keys.length; i++) row[keys[i]!] = values[i];
    return row;
  });
}

export class Queries {
  /** Whether the lineage batch's rows come as arrays of values (`jsonRows`): the embedded store's faster form. */
  private readonly positionalRows: boolean;

  constructor(private readonly db: Database) {
    this.positionalRows = db.kind === 'embedded';
  }

  private columnLists: Promise<Map<string, string[]>> | null = null;

  private async columns(table: string): Promise<string[]> {
    this.columnLists ??= servedColumns(this.db);
    const list = (await this.columnLists).get(table);
    if (!list) throw new Error(`no table ${table}`);
    return list;
  }

  /** A table's columns (`columns`) under an alias, as a select list. */
  private async cols(table: string, alias = table): Promise<string> {
    return (await this.columns(table)).map((c) => `${alias}.${c}`).join(', ');
  }

  /**
   * A query's rows as one JSON document built by the database: decoding a single text value is
   * several times faster in the embedded store than decoding hundreds of typed rows (measured:
   * 300 deployments 6.4 ms → 2.0 ms at p50). Timestamps arrive as ISO strings, which the row
   * mappers read as they read dates. Order is the subquery's. Its one text column stays one text
   * column whatever a migration adds, so the statement is kept prepared.
   */
  private async rows(sql: string, params: unknown[]): Promise<{ rows: Row[] }> {
    const result = await this.db.query<{ rows: string }>(`SELECT ${jsonArray(sql)} AS rows`, params, { prepared: true });
    return { rows: JSON.parse(result.rows[0]!.rows) as Row[] };
  }

  private async withApprovals(rows: Row[]): Promise<Deployment[]> {
    if (rows.length === 0) return [];
    const approvals = await this.rows(
      approvalsOf(await this.cols('approvals', 'a'), '(SELECT id, repo, environment, run_id FROM deployments WHERE id = ANY($1::text[]))'),
      [rows.map((r) => String(r.id))],
    );
    return deploymentsWith(rows, approvals.rows);
  }

  private async withLocations(rows: Row[]): Promise<Finding[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r.id));
    const [locations, seen] = await Promise.all([
      this.rows('SELECT * FROM finding_locations WHERE finding_id = ANY($1::text[]) ORDER BY finding_id, ord', [ids]),
      this.rows(
        'SELECT finding_id, count(*)::int AS n, min(at) AS first, max(at) AS last FROM finding_occurrences WHERE finding_id = ANY($1::text[]) GROUP BY finding_id',
        [ids],
      ),
    ]);
    const byFinding = groupBy(locations.rows, (l) => String(l.finding_id));
    const sightings = new Map(seen.rows.map((o) => [String(o.finding_id), o]));
    return rows.map((r) => findingOf(r, byFinding.get(String(r.id)) ?? [], sightings.get(String(r.id))));
  }

  /**
   * The current deployment of each environment: its newest successful deployment, in the order
   * the deploy tool gave (effective_at: a tool's later deployment never sorts before its earlier).
   */
  async environments(repo: string): Promise<EnvironmentsResponse> {
    const result = await this.db.query(
      `SELECT e.name AS env_name, d.* FROM environments e
       LEFT JOIN LATERAL (
         SELECT * FROM deployments
         WHERE repo = e.repo AND environment = e.name AND status = 'success'
         ORDER BY effective_at DESC, id DESC LIMIT 1
       ) d ON true
       WHERE e.repo = $1 ORDER BY e.name`,
      [repo],
      { prepared: true },
    );
    const current = await this.withApprovals(result.rows.filter((r) => r.id !== null));
    const byEnv = new Map(current.map((d) => [d.environment, d]));
    // A tool's later deployment stamped more than a minute before one it followed: a clock is off.
    // Written as the partial index deployments_skewed's predicate, so the planner reads that index.
    const skewed = await this.db.query<{ id: string; environment: string; origin: string; at: unknown; effective_at: unknown }>(
      `SELECT id, environment, origin, at, effective_at FROM deployments
       WHERE repo = $1 AND effective_at - at > interval '60 seconds' ORDER BY effective_at DESC LIMIT 5`,
      [repo],
      { prepared: true },
    );
    const notices = skewed.rows.map((r) => {
      const [at, after] = [isoOrNull(r.at)!, isoOrNull(r.effective_at)!];
      const minutes = Math.round((Date.parse(after) - Date.parse(at)) / 60_000);
      return `clock skew in ${r.environment}: deployment ${r.id} is stamped ${at}, ${minutes} min before a deployment ${r.origin} ordered ahead of it; the order follows ${r.origin}, not the clocks`;
    });
    return {
      repo,
      environments: result.rows.map((r) => ({ name: String(r.env_name), deployment: byEnv.get(String(r.env_name)) ?? null })),
      ...(notices.length ? { notices } : {}),
    };
  }

  /** Deployment history of one environment, newest first, `limit` a page, keyset-paged. */
  async deployments(repo: string, environment: string, limit: number, cursor: string | null): Promise<DeploymentsPage> {
    const params: unknown[] = [repo, environment, limit + 1];
    let after = '';
    if (cursor) {
      const [at, id] = decodeCursor(cursor);
      params.push(at, id);
      after = 'AND (effective_at, id) < ($4::timestamptz, $5::text)';
    }
    const result = await this.db.query(
      `SELECT * FROM deployments WHERE repo = $1 AND environment = $2 ${after} ORDER BY effective_at DESC, id DESC LIMIT $3`,
      params,
      { prepared: true },
    );
    const rows = result.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    const next = result.rows.length > limit && last ? encodeCursor(isoOrNull(last.effective_at)!, String(last.id)) : null;
    return { repo, environment, deployments: await this.withApprovals(rows), next };
  }

  /**
   * Lineage of many commits, as the UTF-8 of the API's answer (`{"repo":…,"commits":[…]}`) in
   * pieces to be written one after another. Each commit's answer is kept as its JSON's bytes (at
   * most `cachedCommits`, least recently used first out) with the version of its repository's rows
   * it was read at; a later batch serves it again while the store says nothing of that repository
   * (nor of every repository) changed since, and reads only the rest. One indexed read of two rows
   * decides, so every replica's cache follows the others' writes. A hundred commits are about
   * 300 KB: kept as bytes and sent as pieces, a served answer is neither serialised, joined nor
   * encoded again, and no large block is allocated per batch (a fresh one costs a page fault per
   * 4 KB, which measured as much as the rest of a cached batch).
   */
  async lineageJson(repo: string, commits: string[]): Promise<Buffer[]> {
    const shas = [...new Set(commits.map((c) => c.toLowerCase()))];
    const version = await this.repoVersion(repo);
    const answers = new Map<string, Buffer>();
    const missing: string[] = [];
    for (const sha of shas) {
      const key = `${repo}\u0000${sha}`;
      const hit = this.lineageCache.get(key);
      if (hit && hit.version === version) {
        this.lineageCache.delete(key);
        this.lineageCache.set(key, hit);
        answers.set(sha, hit.json);
      } else missing.push(sha);
    }
    if (missing.length) {
      for (const l of await this.readLineage(repo, missing)) {
        const json = Buffer.from(JSON.stringify(l));
        answers.set(l.sha, json);
        this.lineageCache.set(`${repo}\u0000${l.sha}`, { version, json });
      }
      for (const key of this.lineageCache.keys()) {
        if (this.lineageCache.size <= cachedCommits) break;
        this.lineageCache.delete(key);
      }
    }
    const pieces: Buffer[] = [Buffer.from(`{"repo":${JSON.stringify(repo)},"commits":[`)];
    shas.forEach((sha, i) => pieces.push(...(i ? [comma] : []), answers.get(sha)!));
    pieces.push(closing);
    return pieces;
  }

  private readonly lineageCache = new Map<string, { version: string; json: Buffer }>();

  /** Versions read from the embedded store while its write count (`Database.writes`) was `at`. */
  private readonly versionsRead = { at: -1, versions: new Map<string, string>() };

  /**
   * The version of a repository's rows and of every repository's (`*`), as `<all>:<repo>`. On the
   * embedded store, which only this process writes, a version read stays current until the store's
   * next write, so a batch after no write asks the store nothing: the store's thread, busy or
   * collecting, was most of a cached batch's tail there. On PostgreSQL every batch asks, since
   * another replica may have written.
   */
  private async repoVersion(repo: string): Promise<string> {
    const writes = this.db.writes;
    const known = writes !== undefined && this.versionsRead.at === writes ? this.versionsRead.versions.get(repo) : undefined;
    if (known !== undefined) return known;
    const versions = await this.db.query<{ repo: string; seq: string | number }>(
      `SELECT repo, seq FROM repo_versions WHERE repo = $1 OR repo = '*'`,
      [repo],
      { prepared: true },
    );
    const version = ['*', repo].map((r) => String(versions.rows.find((v) => v.repo === r)?.seq ?? 0)).join(':');
    // Kept under the count from before the read was sent: a write that ended meanwhile makes it stale.
    if (writes !== undefined && this.db.writes === writes) {
      if (this.versionsRead.at !== writes) {
        this.versionsRead.versions.clear();
        this.versionsRead.at = writes;
      }
      this.versionsRead.versions.set(repo, version);
    }
    return version;
  }

  private lineageSql: Promise<LineageStatement> | null = null;

  /**
   * One statement for the whole batch (`lineageStatement`): each part a JSON array built by the
   * database, the pull requests' reviews and commit lists and the deployments' approvals found
   * through the commits asked for rather than in later rounds. One round trip instead of three
   * rounds of nine queries (each costs about 0.3 ms before any work in the embedded store).
   */
  private async readLineage(repo: string, shas: string[]): Promise<CommitLineage[]> {
    this.lineageSql ??= lineageStatement((t) => this.columns(t), this.positionalRows);
    const { sql, keys, positional } = await this.lineageSql;
    const result = await this.db.query<Record<LineagePart, string>>(sql, [repo, shas], { prepared: true });
    const read = (n: LineagePart) => keyedRows(result.rows[0]![n], keys[n], positional);
    const [commitRows, prRows, builds, artifacts, attestations, reviews, prCommits] = [
      read('commits'),
      read('pullRequests'),
      read('builds'),
      read('artifacts'),
      read('attestations'),
      read('reviews'),
      read('prCommits'),
    ];
    const allDeployments = deploymentsWith(read('deployments'), read('approvals'));
    const reviewsByPr = groupBy(reviews, (r) => String(r.pull_request));
    const commitsByPr = groupBy(prCommits, (r) => String(r.number));
    const prsBySha = groupBy(prRows, (r) => String(r.for_sha));
    const commitBySha = new Map(commitRows.map((r) => [String(r.sha), commitOf(r)]));
    const bySha = <T>(rows: T[], key: (t: T) => string | null) => groupBy(rows, (r) => key(r) ?? '');
    const buildMap = bySha(builds.map(buildOf), (b) => b.commit);
    const artifactMap = bySha(artifacts.map(artifactOf), (a) => a.commit);
    const attestationMap = bySha(attestations.map(attestationOf), (a) => a.commit);
    const deploymentMap = bySha(allDeployments, (d) => d.commit);
    return shas.map((sha) => ({
      sha,
      commit: commitBySha.get(sha) ?? null,
      pullRequests: (prsBySha.get(sha) ?? []).map((p) => ({
        ...pullRequestOf(
          p,
          (commitsByPr.get(String(p.number)) ?? []).map((c) => String(c.sha)),
        ),
        reviews: (reviewsByPr.get(String(p.number)) ?? []).map(reviewOf),
      })),
      builds: buildMap.get(sha) ?? [],
      artifacts: artifactMap.get(sha) ?? [],
      attestations: attestationMap.get(sha) ?? [],
      deployments: deploymentMap.get(sha) ?? [],
    }));
  }

  async findings(
    repo: string,
    filter: { path?: string; status?: string; environment?: string; orphaned?: boolean; limit: number },
  ): Promise<FindingsResponse> {
    const where = ['f.repo = $1'];
    const params: unknown[] = [repo];
    if (filter.status) {
      params.push(filter.status);
      where.push(`f.status = $${params.length}`);
    }
    if (filter.environment) {
      params.push(filter.environment);
      where.push(`f.environment = $${params.length}`);
    }
    // Orphaned: tied to no revision (neither its own commit, one resolved from its artifact, nor a location's).
    if (filter.orphaned !== undefined) {
      const orphaned = `(f.commit_sha IS NULL AND NOT EXISTS (SELECT 1 FROM finding_locations l WHERE l.finding_id = f.id AND l.revision IS NOT NULL))`;
      where.push(filter.orphaned ? orphaned : `NOT ${orphaned}`);
    }
    if (filter.path) {
      params.push(filter.path);
      where.push(`f.id IN (SELECT l.finding_id FROM finding_locations l WHERE l.repo = $1 AND l.path = $${params.length})`);
    }
    params.push(filter.limit);
    const result = await this.db.query(
      `SELECT f.* FROM findings f WHERE ${where.join(' AND ')} ORDER BY f.detected_at DESC NULLS LAST, f.id LIMIT $${params.length}`,
      params,
      { prepared: true },
    );
    return { findings: await this.withLocations(result.rows) };
  }

  async deployment(id: string): Promise<Deployment | null> {
    const result = await this.db.query('SELECT * FROM deployments WHERE id = $1', [id], { prepared: true });
    return (await this.withApprovals(result.rows))[0] ?? null;
  }

  async finding(id: string): Promise<Finding | null> {
    const result = await this.db.query('SELECT * FROM findings WHERE id = $1', [id], { prepared: true });
    return (await this.withLocations(result.rows))[0] ?? null;
  }

  async artifact(digest: string): Promise<ArtifactResponse> {
    const [artifact, attestations, deployments, findings] = await Promise.all([
      this.db.query('SELECT * FROM artifacts WHERE digest = $1', [digest], { prepared: true }),
      this.db.query('SELECT * FROM attestations WHERE subject_digest = $1 ORDER BY finished_at, id', [digest], { prepared: true }),
      this.db.query('SELECT * FROM deployments WHERE artifact_digest = $1 ORDER BY effective_at DESC, id DESC', [digest], {
        prepared: true,
      }),
      this.db.query('SELECT * FROM findings WHERE artifact_digest = $1 ORDER BY detected_at DESC NULLS LAST, id', [digest], {
        prepared: true,
      }),
    ]);
    return {
      digest,
      artifact: artifact.rows[0] ? artifactOf(artifact.rows[0]) : null,
      attestations: attestations.rows.map(attestationOf),
      deployments: await this.withApprovals(deployments.rows),
      findings: await this.withLocations(findings.rows),
    };
  }

  async event(key: string): Promise<StoredEvent | null> {
    const result = await this.db.query(
      'SELECT e.key, e.format, e.received_at, e.audit_seq, e.raw, e.raw_z, a.hash FROM events e JOIN audit_log a ON a.seq = e.audit_seq WHERE e.key = $1',
      [key],
    );
    const r = result.rows[0];
    if (!r) return null;
    const text = storedText(r) ?? '';
    return {
      key: String(r.key),
      format: String(r.format),
      receivedAt: isoOrNull(r.received_at)!,
      auditSeq: Number(r.audit_seq),
      auditHash: String(r.hash),
      raw: JSON.parse(text),
      rawText: text,
    };
  }

  async counts(): Promise<{ events: number; head: string }> {
    const head = await this.db.query<{ seq: number | string; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
    const row = head.rows[0]!;
    return { events: Number(row.seq), head: row.hash };
  }

  /** Entries `from` to `to` of the audit chain (at most 10,000). */
  async auditEntries(from: number, to: number): Promise<AuditEntry[]> {
    const r = await this.db.query(
      'SELECT seq, event_key, event_hash, prev_hash, hash FROM audit_log WHERE seq BETWEEN $1 AND $2 ORDER BY seq',
      [from, to],
    );
    return r.rows.map((x) => ({
      seq: Number(x.seq),
      eventKey: String(x.event_key),
      eventHash: String(x.event_hash),
      prevHash: String(x.prev_hash),
      hash: String(x.hash),
    }));
  }

  /** The first and last entry received in [since, until), and the chain head. */
  async auditRange(since: string | null, until: string | null): Promise<{ from: number | null; to: number | null; head: number }> {
    const r = await this.db.query<{ first: string | number | null; last: string | number | null; head: string | number }>(
      `SELECT (SELECT min(seq) FROM audit_log WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)) AS first,
              (SELECT max(seq) FROM audit_log WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)) AS last,
              (SELECT seq FROM audit_head WHERE id = 1) AS head`,
      [since, until],
    );
    const row = r.rows[0]!;
    return { from: row.first === null ? null : Number(row.first), to: row.last === null ? null : Number(row.last), head: Number(row.head) };
  }

  /** Entries `from` to `to` with their events' raw text, in order. */
  async auditEvents(from: number, to: number): Promise<ExportedEvent[]> {
    const r = await this.db.query(
      `SELECT a.seq, a.event_key, a.event_hash, a.prev_hash, a.hash, e.format, e.received_at, e.raw, e.raw_z
         FROM audit_log a JOIN events e ON e.key = a.event_key
        WHERE a.seq BETWEEN $1 AND $2 ORDER BY a.seq`,
      [from, to],
    );
    return r.rows.map((x) => ({
      seq: Number(x.seq),
      key: String(x.event_key),
      format: String(x.format),
      receivedAt: isoOrNull(x.received_at)!,
      eventHash: String(x.event_hash),
      prevHash: String(x.prev_hash),
      hash: String(x.hash),
      raw: storedText(x) ?? '',
    }));
  }

  /** The latest signed checkpoint, or the first at or after `covering`. */
  async checkpoint(covering?: number): Promise<Checkpoint | null> {
    const r = (
      covering === undefined
        ? await this.db.query('SELECT seq, hash, at, signature, key_id, public_key FROM audit_checkpoints ORDER BY seq DESC LIMIT 1')
        : await this.db.query(
            'SELECT seq, hash, at, signature, key_id, public_key FROM audit_checkpoints WHERE seq >= $1 ORDER BY seq LIMIT 1',
            [covering],
          )
    ).rows[0];
    return r
      ? {
          seq: Number(r.seq),
          hash: String(r.hash),
          at: isoOrNull(r.at)!,
          signature: String(r.signature),
          keyId: String(r.key_id),
          publicKey: String(r.public_key),
        }
      : null;
  }
}

export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'string' && !Number.isNaN(Date.parse(parsed[0]))) {
      return [parsed[0], parsed[1]];
    }
  } catch {
    // fall through to the error below
  }
  throw new RangeError('cursor is not one this service issued');
}
