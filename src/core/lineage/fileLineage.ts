/**
 * fileLineage: for each line of a file (or of the editor's buffer), the commit that last changed
 * it, its pull request and approvals, whether this exact line is live in each environment and
 * since which deployment, and the open findings mapped onto it.
 *
 * Liveness is computed from text, not ancestry: a line is live in E when it maps to an unchanged
 * line of the file at E's deployed commit. That is right for reverts, re-added lines,
 * cherry-picks and local edits, where "the blame commit is an ancestor of the deployed commit" is
 * wrong. One batch request to the source per file; git and line-map work cached per commit.
 */
import { createHash } from 'node:crypto';
import { uncommittedSha, type BlameResult } from '../git/blamePorcelain';
import type { Repository } from '../git/repository';
import { mapLines, splitLines, type LineMap } from '../linemap/lineMap';
import type { CommitLineage } from '../model/api';
import type { Deployment, Environment, Finding } from '../model/domain';
import type {
  EnvironmentState,
  FileLineage,
  LineApproval,
  LineCheck,
  LineEnvironment,
  LineFinding,
  LineLineage,
  LineSince,
} from './lineLineage';
import { undidBy } from './rollbacks';
import { verifiedWorkflowOf } from './verifiedWorkflow';
import type { LineageSource } from '../sources/lineageSource';

export interface FileLineageOptions {
  repo: Repository;
  /** Repository-relative path, forward slashes. */
  path: string;
  /** The buffer's text when it differs from the file on disk. */
  contents?: string;
  /** owner/name, the key the source knows the repository by. */
  slug: string | null;
  source: LineageSource | null;
  /** How many past deployments of each environment "since" may look back over. */
  historyLimit?: number;
  /** Credit moved and copied lines to where they came from (git blame -M -C); slower. */
  detectMoves?: boolean;
  /** The blame of this text when the caller already has it (or has it under way). */
  blame?: Promise<BlameResult>;
}

interface SourceData {
  environments: Environment[];
  histories: Map<string, Deployment[]>;
  lineage: Map<string, CommitLineage>;
  findings: Finding[];
}

const shortSha = (sha: string) => sha.slice(0, 7);

export class LineMapCache {
  private readonly maps = new Map<string, Promise<LineMap | null>>();
  private readonly lines = new Map<string, Promise<string[] | null>>();

  constructor(
    private readonly repo: Repository,
    private readonly path: string,
    private readonly bufferLines: string[],
  ) {}

  /** The file's lines at `commit`; null when the file is absent there. */
  linesAt(commit: string): Promise<string[] | null> {
    let cached = this.lines.get(commit);
    if (!cached) {
      cached = this.repo.textAt(commit, this.path).then((text) => (text === null ? null : splitLines(text)));
      this.lines.set(commit, cached);
    }
    return cached;
  }

  /** Line map from the file at `commit` to the buffer; null when the file is absent there. */
  forCommit(commit: string): Promise<LineMap | null> {
    return this.between(commit, null);
  }

  /** Line map from the file at `older` to the file at `newer` (or to the buffer when null). */
  between(older: string, newer: string | null): Promise<LineMap | null> {
    const key = `${older}>${newer ?? 'buffer'}`;
    let cached = this.maps.get(key);
    if (!cached) {
      cached = Promise.all([this.linesAt(older), newer === null ? this.bufferLines : this.linesAt(newer)]).then(([a, b]) =>
        a === null || b === null ? null : mapLines(a, b),
      );
      this.maps.set(key, cached);
    }
    return cached;
  }
}

export async function fileLineage(options: FileLineageOptions): Promise<FileLineage> {
  const { repo, path, slug, source } = options;
  const notices: string[] = [];
  if (source && !slug) notices.push('the repository has no origin remote to name it by (owner/name); showing git only');
  // Deployments, findings, the revisions they name and the line maps onto the text do not depend
  // on the blame: they are computed while git blames (git on one core, the diffs on another), and
  // only the blamed commits' lineage waits for it.
  const deployed = source && slug ? loadDeployments(repo, source, slug, path, options.historyLimit ?? 20) : null;
  deployed?.catch(() => undefined);
  const expectedText = options.contents ?? repo.workingText(path);
  const early = Promise.all([deployed, expectedText]).then(([d, text]) =>
    d && text !== null ? mapOntoText(repo, path, splitLines(text), d, notices) : null,
  );
  early.catch(() => undefined);

  const [blame, head] = await Promise.all([
    options.blame ?? repo.blame(path, options.contents, { detectMoves: options.detectMoves }),
    repo.head(),
  ]);
  const bufferLines = blame.lines.map((l) => l.text.replace(/\r$/, ''));
  // A shallow clone's blame credits every line older than the cut to the commit at the cut: said,
  // rather than shown as that commit's work.
  const cut = repo.shallowCommits();
  const atCut = cut.size === 0 ? [] : blame.lines.filter((l) => cut.has(l.sha));
  if (atCut.length > 0) {
    const at = [...new Set(atCut.map((l) => l.sha.slice(0, 7)))].join(', ');
    notices.push(
      `this clone is shallow: its history stops at ${at}, so ${atCut.length} line(s) credited to it may be older, from commits not in the clone; "git fetch --unshallow" gives the whole history`,
    );
  }
  const commits = [...new Set(blame.lines.map((l) => l.sha).filter((s) => s !== uncommittedSha))];

  let data: SourceData | null = null;
  let mapped: MappedText | null = null;
  if (source && slug && deployed) {
    const [partial, lineage] = await Promise.all([deployed, source.lineage(slug, commits, repo)]);
    data = { ...partial, lineage };
    await prefetch(repo, path, data);
    mapped = await early;
    // The text git blamed is what was mapped, unless a checkout rewrote it (eol conversion) or the
    // file changed in between: then map the blamed text itself.
    if (!mapped || !sameLines(mapped.lines, bufferLines)) mapped = await mapOntoText(repo, path, bufferLines, partial, notices);
  }
  const liveness = mapped?.liveness ?? [];
  const environments = liveness.map((e) => e.state);
  const findings = mapped?.findings ?? new Map<number, LineFinding[]>();
  const approvals = await approvalsByCommit(repo, commits, data?.lineage ?? new Map<string, CommitLineage>());

  const lines: LineLineage[] = blame.lines.map((l, i) => {
    const info = l.sha === uncommittedSha ? null : blame.commits.get(l.sha);
    const pr = info
      ? ((data?.lineage.get(l.sha)?.pullRequests ?? []).find((p) => p.state === 'merged') ?? data?.lineage.get(l.sha)?.pullRequests[0])
      : undefined;
    return {
      line: i + 1,
      text: bufferLines[i]!,
      commit: info
        ? { sha: info.sha, author: info.author, authorMail: info.authorMail, time: info.authorTime, summary: info.summary }
        : null,
      pullRequest: pr ? { number: pr.number, title: pr.title, url: pr.url, state: pr.state, author: pr.author } : null,
      approvals: info ? (approvals.get(l.sha) ?? []) : [],
      checks: info ? checksOf(data?.lineage.get(l.sha)) : [],
      environments: liveness.map((e): LineEnvironment => ({ name: e.state.name, live: e.live[i]!, since: e.since[i]! })),
      findings: findings.get(i) ?? [],
    };
  });

  const unknown = data ? (source?.notices?.() ?? []) : [];
  for (const n of unknown) if (!notices.includes(n.message)) notices.push(n.message);
  const findingsUnknown = unknown.find((n) => n.about === 'findings')?.message;
  return {
    ...(findingsUnknown ? { findingsUnknown } : {}),
    path,
    repo: slug,
    source: source?.kind ?? 'none',
    head,
    environments,
    notices,
    lines,
  };
}

interface MappedText {
  lines: string[];
  liveness: { state: EnvironmentState; live: (boolean | null)[]; since: (LineSince | null)[] }[];
  findings: Map<number, LineFinding[]>;
  notices: string[];
}

/** Liveness in every environment and the findings, for one text of the file. */
async function mapOntoText(
  repo: Repository,
  path: string,
  lines: string[],
  data: Omit<SourceData, 'lineage'>,
  notices: string[],
): Promise<MappedText> {
  const maps = new LineMapCache(repo, path, lines);
  const liveness: MappedText['liveness'] = [];
  for (const env of data.environments) {
    liveness.push(await environmentLiveness(repo, maps, env, data.histories.get(env.name) ?? [], lines.length));
  }
  const own: string[] = [];
  const findings = await findingsByLine(repo, maps, path, data.findings, lines.length, own);
  notices.push(...own.filter((n) => !notices.includes(n)));
  return { lines, liveness, findings, notices: own };
}

function sameLines(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/** Every revision the computation will read, asked of git in two processes rather than one each. */
async function prefetch(repo: Repository, path: string, data: SourceData): Promise<void> {
  const revisions = new Set<string>();
  for (const env of data.environments) if (env.deployment?.commit) revisions.add(env.deployment.commit);
  for (const history of data.histories.values()) for (const d of history) if (d.commit) revisions.add(d.commit);
  for (const f of data.findings) for (const l of f.locations) if (l.revision ?? f.commit) revisions.add((l.revision ?? f.commit)!);
  for (const c of data.lineage.values()) for (const pr of c.pullRequests) for (const r of pr.reviews) if (r.commit) revisions.add(r.commit);
  const present = await repo.commitsPresent([...revisions]);
  await repo.prefetchTexts([...present], path);
}

async function loadDeployments(
  repo: Repository,
  source: LineageSource,
  slug: string,
  path: string,
  historyLimit: number,
): Promise<Omit<SourceData, 'lineage'>> {
  const [environments, findings] = await Promise.all([source.environments(slug), source.findings(slug, path)]);
  const histories = new Map<string, Deployment[]>();
  await Promise.all(
    environments.map(async (env) => {
      histories.set(env.name, env.deployment ? await source.history(slug, env.name, historyLimit) : []);
    }),
  );
  const partial = { environments, histories, findings, lineage: new Map<string, CommitLineage>() };
  await prefetch(repo, path, partial);
  return partial;
}

/** Who approved a deployment, each once, in the order they did. */
function approversOf(d: Deployment | null | undefined): string[] {
  return [...new Set((d?.approvals ?? []).filter((a) => a.state === 'approved').map((a) => a.approver))];
}

/**
 * Liveness of every buffer line in one environment, and since which deployment: walking the
 * environment's successful deployments from the newest, a line's "since" is the oldest one of the
 * unbroken run in which it was live.
 */
async function environmentLiveness(repo: Repository, maps: LineMapCache, env: Environment, history: Deployment[], lineCount: number) {
  const d = env.deployment;
  const state: EnvironmentState = {
    name: env.name,
    deploymentId: d?.id ?? null,
    commit: d?.commit ?? null,
    at: d?.at ?? null,
    actor: d?.actor ?? null,
    artifact: d?.artifact ?? null,
    kind: d?.kind ?? null,
    // A rollback running now says which deployment it undid (read from the history, not the commit).
    undid: d?.kind === 'rollback' ? (undidBy(history).get(d.id)?.id ?? null) : null,
    approvedBy: approversOf(d),
    verifiedWorkflow: verifiedWorkflowOf(d),
    protection: env.protection ?? null,
    note: null,
  };
  const live = new Array<boolean | null>(lineCount).fill(false);
  const since = new Array<LineSince | null>(lineCount).fill(null);
  if (!d) {
    state.note = 'nothing deployed';
    return { state, live, since };
  }
  if (!d.commit) {
    state.note = `deployment ${d.id} names no commit`;
    live.fill(null);
    return { state, live, since };
  }
  if (!(await repo.hasCommit(d.commit))) {
    state.note = `deployed revision ${shortSha(d.commit)} not in this clone: git fetch`;
    live.fill(null);
    return { state, live, since };
  }
  const current = await maps.forCommit(d.commit);
  if (!current) {
    state.note = `the file does not exist in deployed revision ${shortSha(d.commit)}`;
    return { state, live, since };
  }
  const runs = history.filter((h) => h.status === 'success' && h.commit);
  // The current deployment heads the run even if the history page does not start with it.
  if (runs[0]?.id !== d.id) runs.unshift(d);
  // pos[j]: where buffer line j sits in the deployment being examined, or -1 once the run broke.
  // Each older deployment is mapped onto the next newer one: consecutive deployments differ
  // little, so every step is a small diff, and the line followed is the same occurrence.
  const pos = new Int32Array(lineCount);
  for (let j = 0; j < lineCount; j++) {
    pos[j] = current.toFrom[j]!;
    live[j] = pos[j]! >= 0;
  }
  let newer: string | null = null;
  for (const deployment of runs) {
    const commit = deployment.commit!;
    if (newer !== null && commit !== newer) {
      const step = (await repo.hasCommit(commit)) ? await maps.between(commit, newer) : null;
      for (let j = 0; j < lineCount; j++) if (pos[j]! >= 0) pos[j] = step ? step.toFrom[pos[j]!]! : -1;
    }
    let any = false;
    // One answer for every line this deployment carries: they share it.
    const from: LineSince = {
      deploymentId: deployment.id,
      at: deployment.at,
      actor: deployment.actor,
      actorType: deployment.actorType ?? null,
      artifact: deployment.artifact,
      approvedBy: approversOf(deployment),
      verifiedWorkflow: verifiedWorkflowOf(deployment),
    };
    for (let j = 0; j < lineCount; j++) {
      if (pos[j]! < 0) continue;
      since[j] = from;
      any = true;
    }
    if (!any) break;
    newer = commit;
  }
  return { state, live, since };
}

/** Approvals of each commit's pull request, each marked stale when given on a commit that lacks it. */
async function approvalsByCommit(
  repo: Repository,
  commits: string[],
  lineage: Map<string, CommitLineage>,
): Promise<Map<string, LineApproval[]>> {
  const result = new Map<string, LineApproval[]>();
  await Promise.all(
    commits.map(async (sha) => {
      const prs = lineage.get(sha)?.pullRequests ?? [];
      const pr = prs.find((p) => p.state === 'merged') ?? prs[0];
      if (!pr) return;
      const approvals = await Promise.all(
        pr.reviews
          .filter((r) => r.state !== 'commented' && r.state !== 'pending')
          .map(async (r): Promise<LineApproval> => {
            if (!r.commit) return { reviewer: r.reviewer, state: r.state, commit: null, stale: false, verified: false };
            const known = await repo.hasCommit(r.commit);
            const contains = known && (await repo.isAncestor(sha, r.commit));
            return { reviewer: r.reviewer, state: r.state, commit: r.commit, stale: known && !contains, verified: known };
          }),
      );
      result.set(sha, approvals);
    }),
  );
  return result;
}

/** Open findings located in this file, each mapped from the revision it names to a buffer line. */
async function findingsByLine(
  repo: Repository,
  maps: LineMapCache,
  path: string,
  findings: Finding[],
  lineCount: number,
  notices: string[],
): Promise<Map<number, LineFinding[]>> {
  const byLine = new Map<number, LineFinding[]>();
  // HEAD only for a finding that names no revision: most files have none, and HEAD costs a git process.
  let head: Promise<string | null> | undefined;
  for (const f of findings) {
    // An orphaned finding names no revision its lines belong to: it is listed as such, not placed.
    if (f.link?.how === 'none') continue;
    for (const loc of f.locations) {
      if (loc.path !== path || loc.line === null) continue;
      const revision = loc.revision ?? f.commit ?? (await (head ??= repo.head()));
      if (!revision) continue;
      if (!(await repo.hasCommit(revision))) {
        notices.push(`finding ${f.id} refers to revision ${shortSha(revision)}, which is not in this clone: git fetch`);
        continue;
      }
      const map = await maps.forCommit(revision);
      const target = map ? map.fromTo[loc.line - 1] : undefined;
      if (target === undefined || target < 0 || target >= lineCount) continue;
      const list = byLine.get(target) ?? [];
      if (!list.some((x) => x.id === f.id)) {
        const otherLocations = f.locations.filter((o) => o !== loc).map((o) => ({ path: o.path, line: o.line }));
        list.push({
          id: f.id,
          severity: f.severity,
          title: f.title,
          kind: f.kind,
          status: f.status,
          environment: f.environment,
          url: f.url,
          revision,
          otherLocations,
        });
      }
      byLine.set(target, list);
    }
  }
  return byLine;
}

export function bufferHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export type { BlameResult };

/** The latest run of each check, build or scan of a commit, by name. */
function checksOf(lineage: CommitLineage | undefined): LineCheck[] {
  const latest = new Map<string, LineCheck>();
  const runs = [...(lineage?.builds ?? [])].sort((a, b) =>
    (a.finishedAt ?? a.startedAt ?? '').localeCompare(b.finishedAt ?? b.startedAt ?? ''),
  );
  for (const b of runs) {
    const name = b.name ?? b.id;
    latest.set(name, { name, kind: b.kind, status: b.status, conclusion: b.conclusion, at: b.finishedAt ?? b.startedAt, url: b.url });
  }
  return [...latest.values()];
}
