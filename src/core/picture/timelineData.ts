/**
 * What the timeline is drawn from, gathered in parallel: the file's history from git (one
 * process), each environment's deployments and the file's open findings from the source, the
 * version of the file each deployed commit holds (two processes), and the pull requests and
 * reviews of the newest commits (the rest are asked for as the reader pans to them).
 */
import { fileHistory, lineRangeHistory, versionsAt } from '../git/fileHistory';
import type { Repository } from '../git/repository';
import type { CommitLineage } from '../model/api';
import type { Deployment, Finding } from '../model/domain';
import type { LineageSource, LocalHistory } from '../sources/lineageSource';
import type { EnvironmentPolicy } from '../present/environments';
import type { TimelineInput } from './timelineModel';

export interface TimelineRequest {
  repo: Repository;
  path: string;
  slug: string | null;
  /** Null: git alone (an untrusted source, or none configured). */
  source: LineageSource | null;
  policy: EnvironmentPolicy;
  /** The selected lines, 1-based and inclusive, for a picture of a selection. */
  lines?: { start: number; end: number } | null;
  cursorCommit?: string | null;
  /** Deployments read per environment, newest first. */
  deploymentLimit?: number;
  /** How many of the newest commits have their pull requests asked for up front. */
  lineageLimit?: number;
  historyLimit?: number;
}

export interface GatheredTimeline {
  input: TimelineInput;
  /** What the source could not say (it failed, or has no deployments): the picture is git's only there. */
  notices: string[];
}

/** The pull requests of these commits, a hundred at a time; `local` is the clone they are in. */
export async function lineageOf(
  source: LineageSource,
  slug: string,
  shas: string[],
  local?: LocalHistory,
): Promise<Map<string, CommitLineage>> {
  const out = new Map<string, CommitLineage>();
  for (let i = 0; i < shas.length; i += 100) {
    for (const [sha, l] of await source.lineage(slug, shas.slice(i, i + 100), local)) out.set(sha, l);
  }
  return out;
}

export async function gatherTimeline(request: TimelineRequest): Promise<GatheredTimeline> {
  const { repo, path, slug, source } = request;
  const notices: string[] = [];
  const fromSource = async <T>(what: string, fallback: T, ask: () => Promise<T>): Promise<T> => {
    if (!source || !slug) return fallback;
    try {
      return await ask();
    } catch (e) {
      notices.push(`${what}: ${(e as Error).message}`);
      return fallback;
    }
  };
  const lines = request.lines;
  const [history, names, environments, findings, focusCommits] = await Promise.all([
    fileHistory(repo, path, request.historyLimit ?? 5000),
    repo.historicalNames(path),
    fromSource('environments', [] as string[], async () => (await source!.environments(slug!)).map((e) => e.name)),
    fromSource('findings', [] as Finding[], () => source!.findings(slug!, path)),
    lines ? lineRangeHistory(repo, path, lines.start, lines.end).catch(() => null) : Promise.resolve(null),
  ]);
  // The oldest version shown is where a shallow clone's history stops, not where the file began.
  const cut = repo.shallowCommits();
  if (cut.size > 0 && history.some((c) => cut.has(c.sha)))
    notices.push(
      `this clone is shallow: the file's history stops at ${[...cut].map((c) => c.slice(0, 7)).join(', ')}, and older versions are not in the clone; "git fetch --unshallow" gives the whole history`,
    );
  const limit = request.deploymentLimit ?? 200;
  const deployments = (
    await Promise.all(
      environments.map((env) => fromSource(`deployments of ${env}`, [] as Deployment[], () => source!.history(slug!, env, limit))),
    )
  ).flat();
  const deployed = [...new Set(deployments.map((d) => d.commit).filter((c): c is string => !!c))];
  const asked = [...new Set([...history.slice(0, request.lineageLimit ?? 100).map((c) => c.sha), ...(focusCommits ?? [])])];
  const [versions, lineage] = await Promise.all([
    versionsAt(repo, deployed, names),
    fromSource('pull requests', new Map<string, CommitLineage>(), () => lineageOf(source!, slug!, asked, repo)),
  ]);
  return {
    input: {
      path,
      repo: slug,
      history,
      deployments,
      versions,
      findings,
      lineage,
      environments,
      policy: request.policy,
      focus: lines && focusCommits ? { start: lines.start, end: lines.end, commits: focusCommits } : null,
      cursorCommit: request.cursorCommit ?? null,
    },
    notices,
  };
}
