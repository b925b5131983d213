/**
 * GitHub as a lineage source (direct mode, no service): environments and their deployments with
 * latest statuses, the pull requests of many commits with their reviews (each on the commit it
 * was given on), and open code-scanning alerts on a path. Deployments and pull requests come
 * from GraphQL in as few queries as possible (one for every environment's deployments, one per
 * hundred commits for pull requests); code-scanning alerts from REST with ETags. Results are kept
 * for a short time, so a second file of the same repository costs no request at all.
 *
 * Artifacts: a deployment whose payload names a digest deploys that artifact; the organisation's
 * artifact deployment records for it add the environments GitHub's deployments do not know (an
 * artifact promoted by another tool); its attestations name the commit it was built from. What
 * GitHub cannot say (a digest nobody named, builds of other systems) stays unknown.
 */
import { uncompress } from 'snappyjs';
import { z } from 'zod';
import { githubIds } from '../../ingest/githubIds';
import { normalizeInToto } from '../../ingest/intoto';
import { isObject } from '../../ingest/values';
import { environmentsOf, liveByEnvironment } from '../liveDeployments';
import type { ArtifactPlacement, LineageSource, SourceNotice } from '../lineageSource';
import type { CommitLineage } from '../../model/api';
import type { Build, Deployment, Environment, EnvironmentProtection, Finding } from '../../model/domain';
import { GitHubError, type GitHubClient } from './githubClient';
import {
  CommitsAnswer,
  commitsQuery,
  DeploymentsAnswer,
  deploymentsQuery,
  EnvironmentDeploymentsAnswer,
  environmentDeploymentsQuery,
  optionalDeploymentFields,
  recentDeployments,
  toDeployment,
  toProtection,
  toPullRequest,
} from './githubGraphql';
import { alertFinding, CodeScanningAlert, recordDeployment, recordTime, type DeploymentRecord } from './githubMappings';
import { codeScanningUnavailable, commitChecks, deploymentRecordsOf, runReviews } from './githubReads';

const Attestations = z.object({
  attestations: z.array(
    z.object({ bundle: z.record(z.string(), z.unknown()).nullable().optional(), bundle_url: z.string().nullable().optional() }),
  ),
});

/** A decompressed bundle past this is not a bundle. */
const maxBundleBytes = 16 * 1024 * 1024;
/** Artifacts (live ones first, then the most recent) whose deployment records are read for one repository. */
const maxRecordDigests = 10;

const commitsPerQuery = 100;
/** Environments asked for in that second query. */
const maxQuietEnvironments = 20;
const ttlMs = 60_000;

export class GitHubSource implements LineageSource {
  readonly kind = 'github' as const;
  private deploymentsCache = new Map<
    string,
    { at: number; value: Promise<{ environments: string[]; protection: Map<string, EnvironmentProtection>; deployments: Deployment[] }> }
  >();
  private readonly lineageCache = new Map<string, { at: number; value: CommitLineage }>();
  private readonly alertsCache = new Map<string, { at: number; value: Promise<Finding[]> }>();
  private readonly recordsCache = new Map<string, { at: number; value: Promise<DeploymentRecord[]> }>();

  /** GraphQL fields this server's schema lacks, learnt from its answers. */
  private readonly lacking = new Set<string>();
  /** What this source could not say, by topic: shown with the lineage as notices. */
  private readonly unknowns = new Map<string, SourceNotice>();

  constructor(private readonly client: GitHubClient) {}

  /** What GitHub could not say in the answers so far (features the server or token lacks). */
  notices(): SourceNotice[] {
    return [...this.unknowns.values()];
  }

  private split(repo: string): { owner: string; name: string } {
    const [owner, name] = repo.split('/');
    return { owner: owner!, name: name! };
  }

  /**
   * Every environment's recent deployments, in one GraphQL query (cached briefly; one more for
   * environments a busy one crowds out), and the environments that only the artifact deployment
   * records of the artifacts GitHub deployed know.
   */
  private deployments(repo: string) {
    const hit = this.deploymentsCache.get(repo);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = this.degradable(deploymentsQuery, this.split(repo), DeploymentsAnswer).then(async (answer) => {
      const environmentNodes = answer.repository.environments?.nodes ?? [];
      const environments = environmentNodes.map((e) => e.name);
      const protection = new Map<string, EnvironmentProtection>();
      for (const e of environmentNodes) {
        const rules = toProtection(e);
        if (rules) protection.set(e.name, rules);
      }
      const recent = answer.repository.deployments.nodes;
      const deployments = recent.filter((d) => d.environment).map((d) => toDeployment(repo, d));
      if (recent.length >= recentDeployments) deployments.push(...(await this.quietEnvironments(repo, environments, deployments)));
      deployments.sort((a, b) => b.at.localeCompare(a.at));
      await this.withRunApprovals(repo, deployments);
      return {
        environments,
        protection,
        deployments: [...deployments, ...(await this.recordedElsewhere(repo, environments, deployments))],
      };
    });
    value.catch(() => this.deploymentsCache.delete(repo));
    this.deploymentsCache.set(repo, { at: Date.now(), value });
    return value;
  }

  /**
   * When the most recent deployments of all environments are all of busy ones (a dev environment
   * deployed on every push), production's may be older than that window: the environments with no
   * successful deployment in it get their own recent deployments, in one more query.
   */
  private async quietEnvironments(repo: string, environments: string[], deployments: Deployment[]): Promise<Deployment[]> {
    const live = liveByEnvironment(deployments);
    const quiet = environments.filter((name) => !live.has(name)).slice(0, maxQuietEnvironments);
    if (!quiet.length) return [];
    const variables = Object.fromEntries(quiet.map((name, i) => [`e${i}`, [name]]));
    const answer = await this.degradable(
      (lacking) => environmentDeploymentsQuery(quiet.length, lacking),
      { ...this.split(repo), ...variables },
      EnvironmentDeploymentsAnswer,
    );
    const seen = new Set(deployments.map((d) => d.id));
    return Object.values(answer.repository)
      .flatMap((c) => c.nodes)
      .filter((d) => d.environment)
      .map((d) => toDeployment(repo, d))
      .filter((d) => !seen.has(d.id));
  }

  /**
   * The environment reviewers' decisions on the runs that made what runs now in each environment
   * (one REST call per run; older deployments are left without). A token that may not read them
   * costs the approvals, said once, not the lineage.
   */
  private async withRunApprovals(repo: string, deployments: Deployment[]): Promise<void> {
    const live = [...liveByEnvironment(deployments).values()].filter((d) => d.runId);
    const runs = [...new Set(live.map((d) => d.runId!))];
    const decided = await Promise.all(runs.map(async (run) => [run, await runReviews(this.client, repo, run)] as const));
    if (decided.some(([, reviews]) => reviews === null)) {
      this.unknowns.set('run-approvals', {
        about: 'deployments',
        message: "environment reviewers' approvals unknown: the token may not read the runs' reviews",
      });
    }
    const byRun = new Map(decided);
    for (const d of live) {
      d.approvals = (byRun.get(d.runId!) ?? [])
        .filter((r) => r.environment === d.environment)
        .map((r) => ({
          id: githubIds.deploymentReview(repo, d.runId!, r.environment, r.approver),
          deploymentId: d.id,
          environment: r.environment,
          approver: r.approver,
          state: r.state,
          comment: r.comment,
          at: null,
          runId: d.runId!,
          eventKey: `github:run:${d.runId!}:approvals`,
        }));
    }
  }

  /**
   * A query without the optional fields this server says it does not know: each missing field
   * costs its feature (and a notice), not the lineage.
   */
  private async degradable<S extends z.ZodType>(
    build: (lacking: ReadonlySet<string>) => string,
    variables: Record<string, unknown>,
    schema: S,
  ): Promise<z.infer<S>> {
    for (;;) {
      try {
        return await this.client.graphql(build(this.lacking), variables, schema);
      } catch (e) {
        const fields = GitHubError.is(e, 'unsupported') ? e.undefinedFields : [];
        if (!fields.length || !fields.every((f) => f in optionalDeploymentFields && !this.lacking.has(f))) throw e;
        for (const f of fields) {
          this.lacking.add(f);
          this.unknowns.set(f, {
            about: 'deployments',
            message: `${new URL(this.client.baseUrl).host} does not know ${f} (an older Enterprise Server?): ${optionalDeploymentFields[f]!.without}`,
          });
        }
      }
    }
  }

  /**
   * Deployments into environments GitHub's deployments do not name, from the organisation's
   * artifact deployment records of the artifacts GitHub deployed. Same digest, same build: the
   * commit is the one the GitHub deployment of that digest deployed. Not only the artifacts live
   * now: the usual promotion deploys to staging through GitHub and to production by another tool
   * (Argo CD, Flux), which runs an artifact staging has since moved past. A record source that
   * fails leaves this out.
   */
  private async recordedElsewhere(repo: string, environments: string[], deployments: Deployment[]): Promise<Deployment[]> {
    const known = new Set([...environments, ...deployments.map((d) => d.environment)]);
    // The artifacts that ran somewhere (a deployment that succeeded, live or since replaced),
    // newest first, live ones ahead of the rest.
    const commitOf = new Map<string, string>();
    for (const d of [
      ...liveByEnvironment(deployments).values(),
      ...deployments.filter((x) => x.status === 'success' || x.status === 'inactive'),
    ]) {
      if (d.artifact && d.commit && !commitOf.has(d.artifact)) commitOf.set(d.artifact, d.commit);
    }
    const digests = [...commitOf.keys()].slice(0, maxRecordDigests);
    const answers = await Promise.all(digests.map((digest) => this.deploymentRecords(repo, digest).catch(() => [] as DeploymentRecord[])));
    const out: Deployment[] = [];
    answers.forEach((records, i) => {
      for (const r of records) {
        if (known.has(r.logical_environment)) continue;
        const d = recordDeployment(repo, digests[i]!, commitOf.get(digests[i]!) ?? null, r);
        if (d) out.push(d);
      }
    });
    return out.sort((a, b) => b.at.localeCompare(a.at));
  }

  /** The organisation's deployment records of one artifact (none for a user or without artifact metadata), cached. */
  deploymentRecords(repo: string, digest: string): Promise<DeploymentRecord[]> {
    const key = `${repo}@${digest}`;
    const hit = this.recordsCache.get(key);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = deploymentRecordsOf(this.client, this.split(repo).owner, digest);
    value.catch(() => this.recordsCache.delete(key));
    this.recordsCache.set(key, { at: Date.now(), value });
    return value;
  }

  /** Where an artifact runs, by the organisation's deployment records (what `trace` reports). */
  async artifactPlacements(repo: string, digest: string): Promise<ArtifactPlacement[]> {
    const records = await this.deploymentRecords(repo, digest);
    return records
      .map((r) => ({
        environment: r.logical_environment,
        physicalEnvironment: r.physical_environment || null,
        cluster: r.cluster || null,
        deploymentName: r.deployment_name || null,
        since: recordTime(r),
        live: r.status !== 'decommissioned',
        runtimeRisks: r.runtime_risks ?? [],
      }))
      .sort((a, b) => (b.since ?? '').localeCompare(a.since ?? ''));
  }

  async environments(repo: string): Promise<Environment[]> {
    const { environments, deployments, protection } = await this.deployments(repo);
    return environmentsOf(environments, deployments, protection);
  }

  async history(repo: string, environment: string, limit: number): Promise<Deployment[]> {
    const { deployments } = await this.deployments(repo);
    return deployments
      .filter((d) => d.environment === environment && (d.status === 'success' || d.status === 'inactive'))
      .slice(0, limit)
      .map((d) => ({ ...d, status: 'success' as const }));
  }

  async deployment(repo: string, environment: string, id: string): Promise<Deployment | null> {
    const { deployments } = await this.deployments(repo);
    return deployments.find((d) => d.id === id && d.environment === environment) ?? null;
  }

  /** Pull requests and reviews of many commits: one GraphQL query per hundred commits not cached. */
  async lineage(repo: string, commits: string[]): Promise<Map<string, CommitLineage>> {
    const result = new Map<string, CommitLineage>();
    const missing: string[] = [];
    for (const sha of new Set(commits.map((c) => c.toLowerCase()))) {
      const hit = this.lineageCache.get(`${repo}@${sha}`);
      if (hit && Date.now() - hit.at < ttlMs * 5) result.set(sha, hit.value);
      else missing.push(sha);
    }
    const { deployments } = missing.length ? await this.deployments(repo) : { deployments: [] as Deployment[] };
    for (let i = 0; i < missing.length; i += commitsPerQuery) {
      const batch = missing.slice(i, i + commitsPerQuery);
      const answer = await this.client.graphql(commitsQuery(batch), this.split(repo), CommitsAnswer);
      batch.forEach((sha, k) => {
        const prs = answer.repository[`c${k}`]?.associatedPullRequests.nodes ?? [];
        const lineage: CommitLineage = {
          sha,
          commit: null,
          pullRequests: prs.map((p) => toPullRequest(repo, p)),
          builds: [],
          artifacts: [],
          attestations: [],
          deployments: deployments.filter((d) => d.commit === sha),
        };
        this.lineageCache.set(`${repo}@${sha}`, { at: Date.now(), value: lineage });
        result.set(sha, lineage);
      });
    }
    return result;
  }

  /**
   * The commit an artifact was built from, by its GitHub artifact attestations
   * (`/repos/{owner}/{repo}/attestations/{digest}`): the SLSA provenance in each Sigstore bundle
   * names the source commit. A bundle GitHub offers only at a `bundle_url` is fetched from there
   * (Snappy-compressed JSON in blob storage, without the token). The signature is not verified
   * here: this names a commit to look at, it does not vouch for the artifact.
   */
  async artifactCommit(repo: string, digest: string): Promise<string | null> {
    const { owner, name } = this.split(repo);
    const answer = await this.client.get(
      '/repos/{owner}/{repo}/attestations/{subject_digest}',
      { owner, repo: name, subject_digest: digest, per_page: 30 },
      Attestations,
    );
    let failure: Error | null = null;
    for (const a of answer.attestations) {
      let bundle: unknown = a.bundle ?? null;
      if (!bundle && a.bundle_url) {
        try {
          bundle = await this.fetchBundle(a.bundle_url);
        } catch (e) {
          failure ??= e instanceof Error ? e : new Error(String(e));
          continue;
        }
      }
      const commit = bundle ? provenanceCommit(bundle, digest) : null;
      if (commit) return commit;
    }
    if (failure) throw failure;
    return null;
  }

  private async fetchBundle(url: string): Promise<unknown> {
    const compressed = await this.client.blob(url);
    let text: string;
    try {
      text = Buffer.from(uncompress(compressed, maxBundleBytes)).toString('utf8');
    } catch (e) {
      throw new GitHubError(
        'invalidResponse',
        `the attestation bundle at ${new URL(url).host} is not Snappy-compressed JSON: ${(e as Error).message}`,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new GitHubError('invalidResponse', `the attestation bundle at ${new URL(url).host} is not JSON`);
    }
  }

  /**
   * The checks of one commit (what `check` needs for its blocking-check rule): check runs, and
   * commit statuses, which CI systems without check runs (Jenkins, CircleCI…) report instead.
   */
  async builds(repo: string, commit: string): Promise<Build[]> {
    return commitChecks(this.client, repo, commit);
  }

  /** Open code-scanning alerts whose most recent instance is in `path`. */
  async findings(repo: string, path: string): Promise<Finding[]> {
    return (await this.openFindings(repo)).filter((f) => f.locations.some((l) => l.path === path));
  }

  /** A code-scanning alert of this repository by the id webhooks and direct mode give it. */
  async finding(repo: string, id: string): Promise<Finding | null> {
    const prefix = githubIds.codeScanningAlert(repo, '');
    const number = id.startsWith(prefix) ? /^\d+$/.exec(id.slice(prefix.length))?.[0] : undefined;
    if (!number) return null;
    const { owner, name } = this.split(repo);
    try {
      return alertFinding(
        repo,
        await this.client.get(
          '/repos/{owner}/{repo}/code-scanning/alerts/{alert_number}',
          { owner, repo: name, alert_number: Number(number) },
          CodeScanningAlert,
        ),
      );
    } catch (e) {
      if (GitHubError.is(e, 'notFound')) return null;
      throw e;
    }
  }

  /** Open code-scanning alerts of the repository, read once a minute at most. */
  openFindings(repo: string): Promise<Finding[]> {
    const hit = this.alertsCache.get(repo);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const { owner, name } = this.split(repo);
    const value = this.client
      .list('/repos/{owner}/{repo}/code-scanning/alerts', { owner, repo: name, state: 'open' }, CodeScanningAlert, 1000)
      .then((alerts) => {
        this.unknowns.delete('code-scanning');
        return alerts.map((a) => alertFinding(repo, a));
      })
      .catch((e: unknown) => {
        // Code scanning is off for most repositories: findings unknown, lineage not.
        const why = codeScanningUnavailable(repo, e);
        if (!why) throw e;
        this.unknowns.set('code-scanning', { about: 'findings', message: `code-scanning alerts unknown: ${why}` });
        return [] as Finding[];
      });
    value.catch(() => this.alertsCache.delete(repo));
    this.alertsCache.set(repo, { at: Date.now(), value });
    return value;
  }
}

/** The source commit an attestation bundle's SLSA provenance names for `digest`. */
function provenanceCommit(bundle: unknown, digest: string): string | null {
  try {
    if (!isObject(bundle)) return null;
    const event = normalizeInToto(bundle, JSON.stringify(bundle));
    for (const f of event.facts) {
      if (f.table === 'attestations' && f.row.subject_digest === digest && typeof f.row.commit_sha === 'string') return f.row.commit_sha;
    }
  } catch {
    // A bundle this reader does not understand names no commit; others may.
  }
  return null;
}
