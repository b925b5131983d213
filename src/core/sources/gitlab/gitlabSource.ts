/**
 * GitLab as a lineage source (direct mode, no service): each environment's deployments (the last
 * successful one runs there; a re-deploy of an older deployment, GitLab's rollback, is a newer
 * deployment of an older commit), the merge requests of many commits with each reviewer's latest
 * approval on the head it was given on, the approvals of the deployments that run now in protected
 * environments, each commit's pipeline jobs as checks, and open vulnerabilities with a file.
 *
 * Requests: one page of the project's recent deployments (plus one per environment it crowds
 * out), one for the environments; per commit not seen before, its merge requests (GitLab offers
 * no batch for that); for the merge requests not seen before, their system notes in one GraphQL
 * query per 100 (one REST read each where GraphQL is refused), and the diff versions of those
 * pushed to after an approval.
 * Everything is kept for a while, so a second file, or the same file again, costs nothing; and
 * repeat reads are conditional where GitLab gives ETags.
 */
import { z } from 'zod';
import type { LineageSource, LocalHistory, SourceNotice } from '../lineageSource';
import { environmentsOf, liveByEnvironment } from '../liveDeployments';
import type { CommitLineage, PullRequestWithReviews } from '../../model/api';
import type { Build, Deployment, Environment, EnvironmentProtection, Finding } from '../../model/domain';
import { GitLabError, type GitLabClient } from './gitlabClient';
import { commitChecks, notesPerQuery, notesQueryRefused, readMergeRequest, systemNotesOf } from './gitlabReads';
import {
  firstVulnerabilityPage,
  gitlabFindingId,
  RestDeployment,
  RestEnvironment,
  RestMergeRequest,
  RestProtectedEnvironment,
  toGitlabDeployment,
  toGitlabProtection,
  vulnerabilityFinding,
  vulnerabilityPage,
} from './gitlabMappings';

const ttlMs = 60_000;
/** Recent deployments read in the first request. */
const recentDeployments = 100;
/** Environments whose deployments are read on their own when the recent ones crowd them out. */
const maxQuietEnvironments = 20;
/** Commits (and merge requests) asked about at once. */
const concurrency = 8;
/** Pages of merged merge requests read to find blamed commits without asking about each. */
const maxIndexPages = 10;
/**
 * Pages read past those while each page still places a blamed commit: a long-lived project merges
 * more than a thousand merge requests in the years a file's lines span.
 */
const maxProductivePages = 50;

interface Deployments {
  environments: string[];
  protection: Map<string, EnvironmentProtection>;
  deployments: Deployment[];
}

/**
 * The merged merge request a commit belongs to by the index alone: it is one's head, merge or
 * squash commit, or the clone places it on a branch one's merge commit brought in (`merges`).
 */
function mergedIn(
  index: { bySha: Map<string, number>; byMergeCommit: Map<string, number> },
  merges: Map<string, string>,
  sha: string,
): number | undefined {
  const merge = merges.get(sha);
  return index.bySha.get(sha) ?? (merge !== undefined ? index.byMergeCommit.get(merge) : undefined);
}

export class GitLabSource implements LineageSource {
  readonly kind = 'gitlab' as const;
  private readonly deploymentsCache = new Map<string, { at: number; value: Promise<Deployments> }>();
  private readonly commitCache = new Map<string, { at: number; value: Promise<number[]> }>();
  private readonly mergeRequestCache = new Map<string, { at: number; value: Promise<PullRequestWithReviews> }>();
  private readonly findingsCache = new Map<string, { at: number; value: Promise<Finding[]> }>();
  private readonly indexes = new Map<
    string,
    {
      at: number;
      pages: number;
      done: boolean;
      /** Merged merge requests by their head, merge and squash commits. */
      bySha: Map<string, number>;
      /** The same by merge commit alone: what a merge on the main line found locally is matched against. */
      byMergeCommit: Map<string, number>;
      /** The earliest update time (Unix seconds) among the merge requests read so far. */
      oldest: number | null;
      reading: Promise<void> | null;
    }
  >();
  private readonly unknowns = new Map<string, SourceNotice>();
  /** False once the instance refused the notes query (an older GitLab, a job token): REST from then on. */
  private notesByGraphql = true;
  /** The vulnerabilities page size this instance accepted (its complexity limit), learnt once. */
  private vulnerabilityPageSize = firstVulnerabilityPage;

  constructor(private readonly client: GitLabClient) {}

  notices(): SourceNotice[] {
    return [...this.unknowns.values()];
  }

  private deployments(repo: string): Promise<Deployments> {
    const hit = this.deploymentsCache.get(repo);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = this.readDeployments(repo);
    value.catch(() => this.deploymentsCache.delete(repo));
    this.deploymentsCache.set(repo, { at: Date.now(), value });
    return value;
  }

  private async readDeployments(repo: string): Promise<Deployments> {
    const [environmentList, recent, protection] = await Promise.all([
      this.client.read('environments', (api) => api.Environments.all(repo, { perPage: 100, maxPages: 1 }), z.array(RestEnvironment)),
      this.client.read(
        'deployments',
        (api) => api.Deployments.all(repo, { orderBy: 'id', sort: 'desc', perPage: recentDeployments, maxPages: 1 } as never),
        z.array(RestDeployment),
      ),
      this.protection(repo),
    ]);
    const environments = environmentList.filter((e) => e.state !== 'stopped').map((e) => e.name);
    const deployments = recent.map((d) => toGitlabDeployment(repo, d));
    if (recent.length >= recentDeployments) {
      const live = liveByEnvironment(deployments);
      const quiet = environments.filter((name) => !live.has(name)).slice(0, maxQuietEnvironments);
      const seen = new Set(deployments.map((d) => d.id));
      const more = await Promise.all(
        quiet.map((environment) =>
          this.client.read(
            `deployments of ${environment}`,
            (api) =>
              api.Deployments.all(repo, { environment, status: 'success', orderBy: 'id', sort: 'desc', perPage: 20, maxPages: 1 } as never),
            z.array(RestDeployment),
          ),
        ),
      );
      for (const d of more.flat().map((x) => toGitlabDeployment(repo, x))) if (!seen.has(d.id)) deployments.push(d);
    }
    deployments.sort((a, b) => (b.sequence ?? 0) - (a.sequence ?? 0));
    await this.withApprovals(repo, deployments, protection);
    return { environments, protection, deployments };
  }

  /** Protected environments' approval rules (Premium); without them, the rules are unknown, said once. */
  private async protection(repo: string): Promise<Map<string, EnvironmentProtection>> {
    const rules = new Map<string, EnvironmentProtection>();
    try {
      const list = await this.client.read(
        'protected environments',
        (api) =>
          // This resource puts the project id into its path as given: encoded here.
          api.ProjectProtectedEnvironments.all(encodeURIComponent(repo), { perPage: 100, maxPages: 1 }),
        z.array(RestProtectedEnvironment),
      );
      for (const p of list) {
        const rule = toGitlabProtection(p);
        if (rule) rules.set(p.name, rule);
      }
    } catch (e) {
      if (!GitLabError.is(e, 'forbidden') && !GitLabError.is(e, 'notFound')) throw e;
      this.unknowns.set('protected-environments', {
        about: 'deployments',
        message: 'protected environments unknown: the token may not read them, or the project has none',
      });
    }
    return rules;
  }

  /**
   * The approvals of the deployments that run now in protected environments (one request each:
   * the list leaves them out). A token that may not read them costs the approvals, said once.
   */
  private async withApprovals(repo: string, deployments: Deployment[], protection: Map<string, EnvironmentProtection>): Promise<void> {
    const live = [...liveByEnvironment(deployments).values()].filter((d) => protection.has(d.environment));
    await Promise.all(
      live.map(async (d) => {
        const id = d.sequence!;
        try {
          const full = await this.client.read(`deployment ${id}`, (api) => api.Deployments.show(repo, id), RestDeployment);
          d.approvals = toGitlabDeployment(repo, full).approvals;
        } catch (e) {
          if (!GitLabError.is(e, 'forbidden') && !GitLabError.is(e, 'notFound')) throw e;
          this.unknowns.set('deployment-approvals', {
            about: 'deployments',
            message: 'deployment approvals unknown: the token may not read them',
          });
        }
      }),
    );
  }

  async environments(repo: string): Promise<Environment[]> {
    const { environments, deployments, protection } = await this.deployments(repo);
    return environmentsOf(environments, deployments, protection);
  }

  async history(repo: string, environment: string, limit: number): Promise<Deployment[]> {
    const { deployments } = await this.deployments(repo);
    return deployments.filter((d) => d.environment === environment && d.status === 'success').slice(0, limit);
  }

  async deployment(repo: string, environment: string, id: string): Promise<Deployment | null> {
    const { deployments } = await this.deployments(repo);
    return deployments.find((d) => d.id === id && d.environment === environment) ?? null;
  }

  /** Merge requests (with approvals) and deployments of many commits; each commit and merge request is read once. */
  async lineage(repo: string, commits: string[], local?: LocalHistory): Promise<Map<string, CommitLineage>> {
    const shas = [...new Set(commits.map((c) => c.toLowerCase()))];
    // A commit made on a merged branch's own line belongs to the merge request whose merge commit
    // brought it in: the clone says which merge that is, sparing a request per commit. Without a
    // clone, or when it cannot say, GitLab is asked as before.
    const merging = local && shas.length ? local.introducingMerges(shas).catch(() => new Map<string, string>()) : null;
    const dating = local?.commitTimes && shas.length ? local.commitTimes(shas).catch(() => new Map<string, number>()) : null;
    const [{ deployments }, merges, times] = await Promise.all([
      shas.length ? this.deployments(repo) : { deployments: [] as Deployment[] },
      merging ?? new Map<string, string>(),
      dating ?? new Map<string, number>(),
    ]);
    const result = new Map<string, CommitLineage>();
    const index = await this.mergedIndex(repo, shas, merges, times);
    const iidsOf = new Map<string, number[]>();
    await eachLimited(shas, concurrency, async (sha) => {
      const merged = mergedIn(index, merges, sha);
      iidsOf.set(sha, merged !== undefined ? [merged] : await this.mergeRequestsOf(repo, sha));
    });
    this.readTogether(repo, [...new Set([...iidsOf.values()].flat())]);
    await eachLimited(shas, concurrency, async (sha) => {
      const pullRequests = await Promise.all(iidsOf.get(sha)!.map((iid) => this.mergeRequest(repo, iid)));
      result.set(sha, {
        sha,
        commit: null,
        // A merge request names this commit when GitLab says it belongs to it (a commit of its branch).
        pullRequests: pullRequests.map((pr) => (pr.commits.includes(sha) ? pr : { ...pr, commits: [...pr.commits, sha] })),
        builds: [],
        artifacts: [],
        attestations: [],
        deployments: deployments.filter((d) => d.commit === sha),
      });
    });
    return result;
  }

  /**
   * The project's merged merge requests by the commits that name them (head, merge commit, squash
   * commit), read a page of 100 at a time, most recently updated first, only as far as needed for
   * `wanted`, and kept for five minutes. A squash, merge or fast-forward commit found here needs no
   * request of its own; only a commit from the middle of a merge request's branch, or one pushed
   * without a merge request, is asked about one by one. Only merged ones are indexed: a commit is
   * there because that merge request merged it.
   *
   * How far: ten pages, and on while each page places a wanted commit (up to fifty). A commit whose
   * time the clone gives (`times`) is not looked for past the page where merge requests were last
   * updated before it: one that merged it was updated after it was made, so it came earlier in the
   * list. A clock that lied only sends that commit to be asked about on its own.
   */
  private async mergedIndex(
    repo: string,
    wanted: string[],
    merges: Map<string, string>,
    times: Map<string, number>,
  ): Promise<{ bySha: Map<string, number>; byMergeCommit: Map<string, number> }> {
    let entry = this.indexes.get(repo);
    if (!entry || Date.now() - entry.at >= ttlMs * 5) {
      entry = { at: Date.now(), pages: 0, done: false, bySha: new Map(), byMergeCommit: new Map(), oldest: null, reading: null };
      this.indexes.set(repo, entry);
    }
    const current = entry;
    const findable = () =>
      wanted.filter((sha) => {
        if (mergedIn(current, merges, sha) !== undefined || this.commitCache.has(`${repo}@${sha}`)) return false;
        const made = times.get(sha);
        return made === undefined || current.oldest === null || made <= current.oldest;
      });
    let placedLast = 1;
    for (let left = findable(); left.length > 0 && !current.done;) {
      if (current.pages >= maxProductivePages || (current.pages >= maxIndexPages && placedLast === 0)) break;
      current.reading ??= this.client
        .read(
          'merged merge requests',
          (api) =>
            api.MergeRequests.all({
              projectId: repo,
              state: 'merged',
              orderBy: 'updated_at',
              sort: 'desc',
              page: current.pages + 1,
              perPage: 100,
              maxPages: 1,
            } as never),
          z.array(RestMergeRequest),
        )
        .then((page) => {
          current.pages++;
          if (page.length < 100) current.done = true;
          for (const mr of page) {
            this.rememberListed(repo, mr);
            for (const sha of [mr.sha, mr.merge_commit_sha, mr.squash_commit_sha]) {
              if (sha && !current.bySha.has(sha)) current.bySha.set(sha, mr.iid);
            }
            if (mr.merge_commit_sha && !current.byMergeCommit.has(mr.merge_commit_sha))
              current.byMergeCommit.set(mr.merge_commit_sha, mr.iid);
            const updated = Date.parse(mr.updated_at ?? '') / 1000;
            if (Number.isFinite(updated) && (current.oldest === null || updated < current.oldest)) current.oldest = updated;
          }
        })
        .finally(() => (current.reading = null));
      await current.reading;
      const now = findable();
      placedLast = left.filter((sha) => mergedIn(current, merges, sha) !== undefined).length;
      left = now;
    }
    return current;
  }

  /** The merge requests GitLab associates with a commit (its iids), kept longer: that association does not change once merged. */
  private mergeRequestsOf(repo: string, sha: string): Promise<number[]> {
    const key = `${repo}@${sha}`;
    const hit = this.commitCache.get(key);
    if (hit && Date.now() - hit.at < ttlMs * 5) return hit.value;
    const value = this.client
      .read(
        `merge requests of ${sha.slice(0, 12)}`,
        (api) => api.Commits.allMergeRequests(repo, sha, { perPage: 20, maxPages: 1 }),
        z.array(RestMergeRequest),
      )
      .then((list) => {
        for (const mr of list) this.rememberListed(repo, mr);
        return list.map((mr) => mr.iid);
      })
      .catch((e: unknown) => {
        // A commit GitLab does not have (not pushed yet) has no merge request.
        if (GitLabError.is(e, 'notFound')) return [] as number[];
        throw e;
      });
    value.catch(() => this.commitCache.delete(key));
    this.commitCache.set(key, { at: Date.now(), value });
    return value;
  }

  private readonly listed = new Map<string, z.infer<typeof RestMergeRequest>>();

  private rememberListed(repo: string, mr: z.infer<typeof RestMergeRequest>): void {
    const key = `${repo}!${mr.iid}`;
    const known = this.listed.get(key);
    // A newer answer about the same merge request replaces the cached reading of it.
    if (known && known.updated_at !== mr.updated_at) this.mergeRequestCache.delete(key);
    this.listed.set(key, mr);
  }

  /** One merge request with each reviewer's latest decision: its system notes and diff versions, read once. */
  private mergeRequest(repo: string, iid: number): Promise<PullRequestWithReviews> {
    const key = `${repo}!${iid}`;
    return this.kept(key) ?? this.keep(key, readMergeRequest(this.client, repo, this.listed.get(key)!));
  }

  /** A merge request read, or being read, in the last five minutes. */
  private kept(key: string): Promise<PullRequestWithReviews> | undefined {
    const hit = this.mergeRequestCache.get(key);
    return hit && Date.now() - hit.at < ttlMs * 5 ? hit.value : undefined;
  }

  private keep(key: string, value: Promise<PullRequestWithReviews>): Promise<PullRequestWithReviews> {
    value.catch(() => this.mergeRequestCache.delete(key));
    this.mergeRequestCache.set(key, { at: Date.now(), value });
    return value;
  }

  /**
   * Starts the reading of the merge requests not read yet, their system notes `notesPerQuery` to
   * a GraphQL query; `mergeRequest` then finds them under way. One the answer leaves out, or a
   * query that fails, is read through REST as before; an instance that refuses the query itself is
   * not asked it again.
   */
  private readTogether(repo: string, iids: number[]): void {
    const unread = iids.filter((iid) => !this.kept(`${repo}!${iid}`) && this.listed.has(`${repo}!${iid}`));
    if (!this.notesByGraphql || unread.length < 2) return;
    for (let i = 0; i < unread.length; i += notesPerQuery) {
      const group = unread.slice(i, i + notesPerQuery);
      const notes = systemNotesOf(this.client, repo, group).catch((e: unknown) => {
        if (notesQueryRefused(e)) this.notesByGraphql = false;
        return new Map<number, never>();
      });
      for (const iid of group) {
        const mr = this.listed.get(`${repo}!${iid}`)!;
        // Awaited where it is asked for (mergeRequest); kept drops it from the cache if it fails.
        void this.keep(
          `${repo}!${iid}`,
          notes.then((found) => readMergeRequest(this.client, repo, mr, found.get(iid))),
        );
      }
    }
  }

  /** The jobs (and external statuses) of one commit, as checks: what `check`'s blocking-check rule reads. */
  async builds(repo: string, commit: string): Promise<Build[]> {
    return commitChecks(this.client, repo, commit);
  }

  async findings(repo: string, path: string): Promise<Finding[]> {
    return (await this.openFindings(repo)).filter((f) => f.locations.some((l) => l.path === path));
  }

  async finding(repo: string, id: string): Promise<Finding | null> {
    const prefix = gitlabFindingId(repo, '');
    if (!id.startsWith(prefix)) return null;
    return (await this.openFindings(repo)).find((f) => f.id === id) ?? null;
  }

  /** Open vulnerabilities of the project (GraphQL, 100 a page), read once a minute at most. */
  openFindings(repo: string): Promise<Finding[]> {
    const hit = this.findingsCache.get(repo);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = this.readVulnerabilities(repo);
    value.catch(() => this.findingsCache.delete(repo));
    this.findingsCache.set(repo, { at: Date.now(), value });
    return value;
  }

  private async readVulnerabilities(repo: string): Promise<Finding[]> {
    const out: Finding[] = [];
    let after: string | null = null;
    let size = this.vulnerabilityPageSize;
    try {
      for (let page = 0; page < 40; page++) {
        const read = await vulnerabilityPage(this.client, repo, after, size);
        size = read.size;
        this.vulnerabilityPageSize = size;
        const answer = read.answer;
        const list = answer.project?.vulnerabilities;
        if (!answer.project) throw new GitLabError('notFound', `${this.client.host}: project ${repo} not found`);
        if (!list) {
          this.unknowns.set('vulnerabilities', {
            about: 'findings',
            message:
              'vulnerability findings unknown: the project has no vulnerability report (GitLab Ultimate) or the token may not read it',
          });
          return [];
        }
        out.push(...list.nodes.map((v) => vulnerabilityFinding(repo, v)));
        if (!list.pageInfo.hasNextPage || !list.pageInfo.endCursor) break;
        after = list.pageInfo.endCursor;
      }
    } catch (e) {
      if (!GitLabError.is(e, 'forbidden') && !GitLabError.is(e, 'failed')) throw e;
      this.unknowns.set('vulnerabilities', { about: 'findings', message: `vulnerability findings unknown: ${e.message}` });
      return [];
    }
    this.unknowns.delete('vulnerabilities');
    return out;
  }
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
