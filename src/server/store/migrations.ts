/**
 * The schema, as ordered migrations shared by the embedded store and PostgreSQL. Plain SQL that
 * both run unchanged; applied once each, recorded in schema_migrations, under an advisory lock so
 * two services starting on one PostgreSQL do not race.
 */
import type { Database } from './database';

export const migrations: { id: string; sql: string }[] = [
  {
    id: '001-lineage-chain',
    sql: `
CREATE TABLE events (
  key text PRIMARY KEY,
  format text NOT NULL,
  received_at timestamptz NOT NULL,
  audit_seq bigint NOT NULL,
  raw text NOT NULL
);
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  event_key text NOT NULL,
  event_hash text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  at timestamptz NOT NULL
);
CREATE TABLE audit_head (
  id int PRIMARY KEY,
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');

CREATE TABLE commits (
  repo text NOT NULL, sha text NOT NULL, message text, author text, at timestamptz,
  rank text NOT NULL, event_key text NOT NULL,
  PRIMARY KEY (repo, sha)
);
CREATE TABLE pull_requests (
  repo text NOT NULL, number int NOT NULL, title text, url text, author text, state text NOT NULL,
  head_sha text, head_ref text, base_ref text, merge_commit text, merged_at timestamptz,
  updated_at timestamptz, rank text NOT NULL, event_key text NOT NULL,
  PRIMARY KEY (repo, number)
);
CREATE INDEX pull_requests_merge_commit ON pull_requests (repo, merge_commit);
CREATE INDEX pull_requests_head_sha ON pull_requests (repo, head_sha);
CREATE TABLE pr_commits (
  repo text NOT NULL, sha text NOT NULL, number int NOT NULL,
  PRIMARY KEY (repo, sha, number)
);
CREATE TABLE reviews (
  repo text NOT NULL, id text NOT NULL, pull_request int NOT NULL, reviewer text NOT NULL,
  state text NOT NULL, commit_sha text, at timestamptz, rank text NOT NULL, event_key text NOT NULL,
  PRIMARY KEY (repo, id)
);
CREATE INDEX reviews_pull_request ON reviews (repo, pull_request);
CREATE TABLE builds (
  id text PRIMARY KEY, repo text, kind text NOT NULL, name text, commit_sha text,
  status text NOT NULL, conclusion text, url text, started_at timestamptz, finished_at timestamptz,
  rank text NOT NULL, event_key text NOT NULL
);
CREATE INDEX builds_commit ON builds (commit_sha);
CREATE TABLE artifacts (
  digest text PRIMARY KEY, name text, purl text, repo text, commit_sha text, build_id text,
  created_at timestamptz, rank text NOT NULL, event_key text NOT NULL
);
CREATE INDEX artifacts_commit ON artifacts (commit_sha);
CREATE INDEX artifacts_repo ON artifacts (repo);
CREATE TABLE attestations (
  id text PRIMARY KEY, subject_digest text NOT NULL, subject_name text, predicate_type text NOT NULL,
  repo text, commit_sha text, source_uri text, builder text, build_type text, invocation text,
  signed boolean NOT NULL, started_at timestamptz, finished_at timestamptz,
  rank text NOT NULL, event_key text NOT NULL
);
CREATE INDEX attestations_subject ON attestations (subject_digest);
CREATE INDEX attestations_commit ON attestations (commit_sha);
CREATE TABLE deployments (
  id text PRIMARY KEY, repo text, environment text NOT NULL, service text, commit_sha text,
  artifact_digest text, at timestamptz NOT NULL, actor text, kind text NOT NULL,
  status text NOT NULL, status_at timestamptz NOT NULL, reason text, url text,
  rank text NOT NULL, event_key text NOT NULL
);
CREATE TABLE environments (
  repo text NOT NULL, name text NOT NULL,
  PRIMARY KEY (repo, name)
);
CREATE INDEX deployments_env ON deployments (repo, environment, at DESC, id DESC);
CREATE INDEX deployments_commit ON deployments (commit_sha);
CREATE INDEX deployments_artifact ON deployments (artifact_digest);
CREATE TABLE approvals (
  id text PRIMARY KEY, repo text, deployment_id text, environment text, approver text NOT NULL,
  state text NOT NULL, comment text, at timestamptz, rank text NOT NULL, event_key text NOT NULL
);
CREATE INDEX approvals_deployment ON approvals (deployment_id);
CREATE TABLE findings (
  id text PRIMARY KEY, repo text, kind text NOT NULL, severity text NOT NULL, title text NOT NULL,
  status text NOT NULL, environment text, service text, artifact_digest text, commit_sha text,
  release text, rule_id text, tool text, url text, detected_at timestamptz, detail text,
  rank text NOT NULL, event_key text NOT NULL
);
CREATE INDEX findings_repo ON findings (repo, status);
CREATE INDEX findings_artifact ON findings (artifact_digest);
CREATE TABLE finding_locations (
  finding_id text NOT NULL, ord int NOT NULL, path text NOT NULL, line int, end_line int, col int,
  revision text,
  -- the finding's repository, copied so "findings on this path" is one index lookup
  repo text,
  PRIMARY KEY (finding_id, ord)
);
CREATE INDEX finding_locations_path ON finding_locations (repo, path);
`,
  },
  {
    // Signed checkpoints of the chain head, and on every served row the newest audit entry whose
    // transaction wrote it, so verification can tell rows it must re-derive from rows that events
    // newer than its snapshot have touched since.
    id: '002-signed-checkpoints',
    sql: `
CREATE TABLE audit_checkpoints (
  seq bigint PRIMARY KEY,
  hash text NOT NULL,
  at timestamptz NOT NULL,
  signature text NOT NULL,
  key_id text NOT NULL,
  public_key text NOT NULL
);
${[
  'commits',
  'pull_requests',
  'pr_commits',
  'reviews',
  'builds',
  'artifacts',
  'attestations',
  'deployments',
  'environments',
  'approvals',
  'findings',
  'finding_locations',
]
  .map((t) => `ALTER TABLE ${t} ADD COLUMN audit_seq bigint NOT NULL DEFAULT 0;`)
  .join('\n')}
`,
  },
  {
    // Whether a deployment's actor is a bot or a person, from the source's own field.
    id: '003-deployment-actor-type',
    sql: `ALTER TABLE deployments ADD COLUMN actor_type text;`,
  },
  {
    // The deploy tool's order of its deployments, and the time that order implies: what runs in an
    // environment follows the tool's sequence over the clocks of the systems that reported it.
    id: '004-deploy-tool-order',
    sql: `
ALTER TABLE deployments ADD COLUMN sequence bigint;
ALTER TABLE deployments ADD COLUMN origin text;
ALTER TABLE deployments ADD COLUMN effective_at timestamptz;
UPDATE deployments SET effective_at = at;
CREATE INDEX deployments_env_order ON deployments (repo, environment, effective_at DESC, id DESC);
-- Histories and what runs now are read in this order; the index by clock time is no longer read.
DROP INDEX deployments_env;
`,
  },
  {
    // An attestation's signature verdict under the service's trust, and which trust that was.
    id: '005-attestation-signature',
    sql: `
ALTER TABLE attestations ADD COLUMN signature text NOT NULL DEFAULT 'unsigned';
ALTER TABLE attestations ADD COLUMN signature_detail text;
ALTER TABLE attestations ADD COLUMN signer text;
ALTER TABLE attestations ADD COLUMN signature_trust text;
UPDATE attestations SET signature = 'unverified', signature_detail = 'stored before signatures were verified; ingest it again' WHERE signed;
`,
  },
  {
    // A deploy tool's deployments in its own order: a new deployment's place is worked out from
    // the one before it, not from the environment's whole history.
    id: '006-deploy-tool-order-index',
    sql: `CREATE INDEX deployments_tool_order ON deployments (repo, environment, origin, sequence) WHERE sequence IS NOT NULL;`,
  },
  {
    // The CI run behind a deployment, and the run an environment approval was given to (GitHub's
    // required reviewers approve a workflow run's jobs, not a deployment id): a deployment's
    // approvals are those naming it, and those given to its run for its environment.
    id: '007-deployment-runs',
    sql: `
ALTER TABLE deployments ADD COLUMN run_id text;
ALTER TABLE approvals ADD COLUMN run_id text;
CREATE INDEX approvals_run ON approvals (repo, run_id, environment) WHERE run_id IS NOT NULL;
-- Deployments stored before: their GitHub deliveries already named the run, so the rows say what
-- their events now yield (audit verification re-derives them).
UPDATE deployments d SET run_id = e.raw::jsonb #>> '{workflow_run,id}'
  FROM events e
  WHERE d.origin = 'github' AND e.key = d.event_key AND e.format = 'github' AND (e.raw::jsonb #>> '{workflow_run,id}') IS NOT NULL;
`,
  },
  {
    // The rank of the fact each column's value came from. A row's values are, column by column,
    // those of the highest-ranked fact that gave one; with only the row's rank kept, a newer fact
    // leaving a column empty made the older value that stayed depend on the order facts came in.
    id: '008-column-ranks',
    sql: ['commits', 'pull_requests', 'reviews', 'builds', 'artifacts', 'attestations', 'deployments', 'approvals', 'findings']
      .map((t) => `ALTER TABLE ${t} ADD COLUMN ranks jsonb;`)
      .join('\n'),
  },
  {
    // Sightings of a finding (an exception OpenTelemetry reports again), each counted once.
    id: '009-finding-occurrences',
    sql: `
CREATE TABLE finding_occurrences (
  finding_id text NOT NULL, occurrence text NOT NULL, at timestamptz, audit_seq bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (finding_id, occurrence)
);`,
  },
  {
    // The verified OIDC claims of the CI job that sent a deployment.
    id: '010-deployment-verified-by',
    sql: 'ALTER TABLE deployments ADD COLUMN verified_by text;',
  },
  {
    // The workflow file a build ran and the ref it ran on (GitHub Actions runs).
    id: '011-build-workflow',
    sql: 'ALTER TABLE builds ADD COLUMN workflow text; ALTER TABLE builds ADD COLUMN ref text;',
  },
  {
    // Retention: the signed cut the chain now starts from (entries up to it are exported and gone),
    // and the state at the cut of the rows kept past it, which verification replays on top of.
    id: '012-retention-cut',
    sql: `
CREATE TABLE audit_cut (
  id int PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL, base_digest text NOT NULL,
  at timestamptz NOT NULL, signature text NOT NULL, key_id text NOT NULL, public_key text NOT NULL
);
CREATE TABLE retained_base (tbl text NOT NULL, ord int NOT NULL, row_json text NOT NULL, PRIMARY KEY (tbl, ord));`,
  },
  {
    // The entry that last changed each repository's rows ('*': rows of any repository), which
    // answer caches check before serving; starts past everything already stored.
    id: '013-repo-versions',
    sql: `
CREATE TABLE repo_versions (repo text PRIMARY KEY, seq bigint NOT NULL);
INSERT INTO repo_versions (repo, seq) SELECT '*', seq FROM audit_head WHERE id = 1;`,
  },
  {
    // Deployments stamped more than a minute before one their tool ordered ahead of them (clock
    // skew, named in the environments answer): rare, so a partial index finds them without reading
    // every deployment of the repository, which at 10,000,000 events cost more than the answer.
    id: '014-skewed-deployments',
    sql: `CREATE INDEX deployments_skewed ON deployments (repo, effective_at DESC) WHERE effective_at - at > interval '60 seconds';`,
  },
  {
    // An event's text of 2 KB or more kept deflated (storedRaw.ts); smaller texts, and rows stored
    // before, keep theirs in raw. Already compressed, so PostgreSQL stores it as it is; rows from
    // before satisfy the check, which new rows must.
    id: '015-raw-deflated',
    sql: `
ALTER TABLE events ALTER COLUMN raw DROP NOT NULL;
ALTER TABLE events ADD COLUMN raw_z bytea;
ALTER TABLE events ALTER COLUMN raw_z SET STORAGE EXTERNAL;
ALTER TABLE events ADD CONSTRAINT events_one_raw CHECK ((raw IS NULL) <> (raw_z IS NULL)) NOT VALID;`,
  },
  {
    // A commit's builds, artifacts, attestations and deployments are looked up within their
    // repository (or among rows that name none): indexed by repository first, a batch's lookups
    // land on a few pages of the index instead of one page each across every repository's
    // (a lineage batch at a million events: 24 → 15 ms in the embedded store). A pull request's
    // commits are read by its number. The indexes by repository alone are covered by the new ones.
    id: '016-lookups-by-repository',
    sql: `
CREATE INDEX builds_repo_commit ON builds (repo, commit_sha);
CREATE INDEX artifacts_repo_commit ON artifacts (repo, commit_sha);
CREATE INDEX attestations_repo_commit ON attestations (repo, commit_sha);
CREATE INDEX deployments_repo_commit ON deployments (repo, commit_sha);
CREATE INDEX pr_commits_number ON pr_commits (repo, number);
DROP INDEX builds_commit;
DROP INDEX artifacts_commit;
DROP INDEX attestations_commit;
DROP INDEX deployments_commit;
DROP INDEX artifacts_repo;`,
  },
];

export async function migrate(db: Database): Promise<void> {
  for (const migration of migrations) {
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7420)');
      await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
      if (done.rows.length > 0) return;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
    });
  }
}
