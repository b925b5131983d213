/**
 * The Lineage Timeline as data: one lane for the file's history and one per environment in
 * promotion order; the file's commits, its pull requests with their approvals, every deployment
 * and the findings located in the file, each placed at its time; and the joins a reader follows
 * (a deployment to the commit of this file it shipped, a finding to the deployment that ran when
 * it was first seen, a commit to its pull request). Pure: the caller gathers what git and the
 * source say (timelineData), the renderers draw it (timelineLayout, timelineSvg).
 */
import type { FileCommit } from '../git/fileHistory';
import type { CommitLineage } from '../model/api';
import type { Deployment, Finding } from '../model/domain';
import { undoneBy } from '../lineage/rollbacks';
import { groupBy } from '../util/groupBy';
import { orderEnvironments, type EnvironmentPolicy } from '../present/environments';
import { changeRef } from '../present/changeRef';

export interface TimelineInput {
  path: string;
  repo: string | null;
  /** The file's commits on HEAD's history, newest first. */
  history: FileCommit[];
  /** Every deployment of the repository read for the picture (all environments), any order. */
  deployments: Deployment[];
  /** The file's version at each deployed commit (absent: the commit is not in this clone). */
  versions: Map<string, { blob: string | null; committedAt: string }>;
  /** Open findings located in the file. */
  findings: Finding[];
  /** Pull requests and reviews of the commits the source was asked about. */
  lineage: Map<string, CommitLineage>;
  /** Environments to draw even without deployments (what the source lists). */
  environments: string[];
  policy: EnvironmentPolicy;
  /** The commits that changed the selected lines, when the picture is of a selection. */
  focus?: { start: number; end: number; commits: string[] } | null;
  /** The commit that last changed the cursor's line. */
  cursorCommit?: string | null;
}

export type LaneKind = 'history' | 'environment';

export interface Lane {
  id: string;
  kind: LaneKind;
  label: string;
}

export type ItemKind = 'commit' | 'pull_request' | 'approval' | 'deployment' | 'finding';

export interface TimelineItem {
  /** `<kind>:<id>`, unique in the model. */
  key: string;
  kind: ItemKind;
  id: string;
  lane: string;
  /** Milliseconds since the epoch; `end` for items with a span (a pull request open until merged). */
  at: number;
  end?: number;
  label: string;
  /** Lines of detail, for the tooltip and the screen reader. */
  details: string[];
  /** rollback, hotfix, rolled-back, current, failed, stale, focus, cursor, unjoined, severity-…. */
  marks: string[];
  /** What a click opens, by kind: the commit and its parent, a deployment, a finding's place, a link. */
  target: TimelineTarget;
}

export type TimelineTarget =
  | { kind: 'commit'; sha: string; parent: string | null; path: string; previousPath: string | null }
  | { kind: 'deployment'; environment: string; id: string }
  | { kind: 'finding'; id: string; path: string | null; line: number | null }
  | { kind: 'url'; url: string | null };

export interface TimelineJoin {
  from: string;
  to: string;
  kind: 'shipped' | 'seen-on' | 'in-pull-request' | 'approved' | 'rolled-back';
}

export interface TimelineModel {
  path: string;
  repo: string | null;
  lanes: Lane[];
  /** Sorted by lane, then time: a lane's items are one contiguous, time-ordered run. */
  items: TimelineItem[];
  joins: TimelineJoin[];
  /** The time span the items cover, in milliseconds. */
  from: number;
  to: number;
  notes: string[];
}

const HISTORY = 'history';
export const envLane = (name: string) => `env:${name}`;
const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

/** Which version of the file a deployment ran: its commit's own change, else the newest earlier commit leaving the same blob. */
function shippedCommit(d: Deployment, input: TimelineInput, byBlob: Map<string, FileCommit[]>, inHistory: Set<string>): string | null {
  if (!d.commit) return null;
  if (inHistory.has(d.commit)) return d.commit;
  const version = input.versions.get(d.commit);
  if (!version?.blob) return null;
  const when = ms(version.committedAt);
  // Reverts leave an older blob again: of the commits that left it, the newest made by then.
  const candidates = byBlob.get(version.blob) ?? [];
  return candidates.find((c) => ms(c.committedAt) <= when)?.sha ?? candidates[candidates.length - 1]?.sha ?? null;
}

function deploymentNote(d: Deployment, input: TimelineInput, shipped: string | null): string | null {
  if (shipped) return null;
  if (!d.commit) return 'names no commit';
  const version = input.versions.get(d.commit);
  if (!version) return `deployed revision ${d.commit.slice(0, 7)} not in this clone`;
  if (!version.blob) return 'ran a revision without this file';
  return 'ran a version of this file not on this branch';
}

export function buildTimeline(input: TimelineInput): TimelineModel {
  const items: TimelineItem[] = [];
  const joins: TimelineJoin[] = [];
  const notes: string[] = [];
  const inHistory = new Set(input.history.map((c) => c.sha));
  const byBlob = groupBy(
    input.history.filter((c) => c.blob),
    (c) => c.blob!,
  );
  const focus = new Set(input.focus?.commits ?? []);

  // The history lane: each commit, parent and previous name kept for its diff.
  input.history.forEach((c, i) => {
    const previous = input.history[i + 1];
    const marks = [];
    if (input.focus && focus.has(c.sha)) marks.push('focus');
    if (input.cursorCommit === c.sha) marks.push('cursor');
    items.push({
      key: `commit:${c.sha}`,
      kind: 'commit',
      id: c.sha,
      lane: HISTORY,
      at: ms(c.committedAt),
      label: c.summary,
      details: [`commit ${c.sha.slice(0, 12)} by ${c.author}`, c.summary, `committed ${c.committedAt}`],
      marks,
      target: { kind: 'commit', sha: c.sha, parent: c.parents[0] ?? null, path: c.path, previousPath: previous?.path ?? null },
    });
  });

  // Pull requests of the file's commits, their span from the first of its commits here to the
  // merge, and the approvals along it: stale when a later commit of the pull request changed this file.
  const pulls = new Map<number, { pr: CommitLineage['pullRequests'][number]; commits: FileCommit[] }>();
  for (const c of input.history) {
    for (const pr of input.lineage.get(c.sha)?.pullRequests ?? []) {
      const entry = pulls.get(pr.number) ?? { pr, commits: [] };
      entry.commits.push(c);
      pulls.set(pr.number, entry);
    }
  }
  for (const { pr, commits } of pulls.values()) {
    const start = Math.min(...commits.map((c) => ms(c.authoredAt)).filter(Number.isFinite));
    const end = ms(pr.mergedAt) || Math.max(...commits.map((c) => ms(c.committedAt)));
    const key = `pull_request:${pr.number}`;
    const approvals = pr.reviews.filter((r) => r.state === 'approved');
    const order = pr.commits.map((s) => s.toLowerCase());
    // Squashed or rebased pull requests land as new commits: then any commit pushed after the
    // approval counts, since which of them changed this file is not known here.
    const lastHere = Math.max(-1, ...commits.map((c) => order.indexOf(c.sha)));
    const lastChange = lastHere >= 0 ? lastHere : order.length - 1;
    items.push({
      key,
      kind: 'pull_request',
      id: String(pr.number),
      lane: HISTORY,
      at: Number.isFinite(start) ? Math.min(start, end) : end,
      end,
      label: `${changeRef(pr)} ${pr.title ?? ''}`.trim(),
      details: [
        `${changeRef(pr).startsWith('!') ? 'merge request' : 'pull request'} ${changeRef(pr)}: ${pr.title ?? ''}`,
        `${pr.state}${pr.author ? ` by ${pr.author}` : ''}${pr.mergedAt ? `, merged ${pr.mergedAt}` : ''}`,
        approvals.length ? `approved by ${[...new Set(approvals.map((a) => a.reviewer))].join(', ')}` : 'no approval',
      ],
      marks: approvals.length ? [] : ['unapproved'],
      target: { kind: 'url', url: pr.url },
    });
    for (const c of commits) joins.push({ from: `commit:${c.sha}`, to: key, kind: 'in-pull-request' });
    for (const r of approvals) {
      const reviewed = r.commit ? order.indexOf(r.commit.toLowerCase()) : -1;
      const stale = reviewed >= 0 && lastChange > reviewed;
      const akey = `approval:${r.id}`;
      items.push({
        key: akey,
        kind: 'approval',
        id: r.id,
        lane: HISTORY,
        at: ms(r.at) || end,
        label: `${r.reviewer} approved`,
        details: [
          `${r.reviewer} approved ${changeRef(pr)}${r.commit ? ` on ${r.commit.slice(0, 12)}` : ''}`,
          stale
            ? lastHere >= 0
              ? 'stale: a later commit of the pull request changed this file'
              : 'stale: commits were pushed to the pull request after it'
            : reviewed < 0
              ? 'the approved commit is not among the pull request’s commits'
              : 'covers the pull request’s changes to this file',
        ],
        marks: stale ? ['stale'] : [],
        target: { kind: 'url', url: pr.url },
      });
      joins.push({ from: akey, to: key, kind: 'approved' });
    }
  }

  // Environment lanes in promotion order, each deployment joined to the commit of this file it shipped.
  const names = [...new Set([...input.environments, ...input.deployments.map((d) => d.environment)])];
  const ordered = orderEnvironments(
    names.map((name) => ({ name })),
    input.policy,
  ).map((e) => e.name);
  const lanes: Lane[] = [{ id: HISTORY, kind: 'history', label: input.path }];
  for (const name of ordered) lanes.push({ id: envLane(name), kind: 'environment', label: name });

  const running = new Map<string, Deployment[]>();
  for (const name of ordered) {
    const history = input.deployments.filter((d) => d.environment === name).sort((a, b) => ms(b.at) - ms(a.at));
    const undone = undoneBy(history);
    const current = history.find((d) => d.status === 'success');
    running.set(name, history);
    for (const d of history) {
      const shipped = shippedCommit(d, input, byBlob, inHistory);
      const note = deploymentNote(d, input, shipped);
      const marks: string[] = [];
      if (d.kind !== 'deploy') marks.push(d.kind);
      if (undone.has(d.id)) marks.push('rolled-back');
      if (d === current) marks.push('current');
      if (d.status === 'failure' || d.status === 'error') marks.push('failed');
      else if (d.status !== 'success') marks.push('not-live');
      if (!shipped) marks.push('unjoined');
      if (d.verifiedBy) marks.push('verified');
      const key = `deployment:${name}:${d.id}`;
      const approvers = d.approvals.filter((a) => a.state === 'approved').map((a) => a.approver);
      items.push({
        key,
        kind: 'deployment',
        id: d.id,
        lane: envLane(name),
        at: ms(d.at),
        label: `${d.kind} ${d.commit?.slice(0, 7) ?? ''}`.trim(),
        details: [
          `${d.kind} to ${name} (${d.status})${d.actor ? ` by ${d.actor}` : ''}`,
          `at ${d.at}`,
          d.commit ? `commit ${d.commit.slice(0, 12)}` : 'no commit named',
          ...(d.artifact ? [`artifact ${d.artifact}`] : []),
          ...(approvers.length ? [`approved by ${approvers.join(', ')}`] : []),
          ...(undone.has(d.id) ? [`rolled back by ${undone.get(d.id)!.id}`] : []),
          ...(d.reason ? [`reason: ${d.reason}`] : []),
          ...(note ? [note] : shipped ? [`runs this file as of ${shipped.slice(0, 12)}`] : []),
        ],
        marks,
        target: { kind: 'deployment', environment: name, id: d.id },
      });
      if (shipped) joins.push({ from: key, to: `commit:${shipped}`, kind: 'shipped' });
      const rollback = undone.get(d.id);
      if (rollback) joins.push({ from: `deployment:${name}:${rollback.id}`, to: key, kind: 'rolled-back' });
    }
  }

  // Findings on their environment's lane where first seen, joined to what ran there then; a
  // finding without an environment sits on the history lane by the commit it names.
  for (const f of input.findings) {
    const seen = ms(f.firstSeenAt ?? f.detectedAt ?? null);
    const location = f.locations.find((l) => l.path === input.path || input.history.some((c) => c.path === l.path)) ?? f.locations[0];
    const lane = f.environment && ordered.includes(f.environment) ? envLane(f.environment) : HISTORY;
    const key = `finding:${f.id}`;
    const marks = [`severity-${f.severity}`];
    let ran: Deployment | undefined;
    if (f.environment) {
      const history = running.get(f.environment) ?? [];
      ran = Number.isFinite(seen) ? history.find((d) => d.status === 'success' && ms(d.at) <= seen) : undefined;
      ran ??= history.find((d) => (f.artifact && d.artifact === f.artifact) || (f.commit && d.commit === f.commit));
    }
    if (ran) joins.push({ from: key, to: `deployment:${f.environment}:${ran.id}`, kind: 'seen-on' });
    else if (f.commit && inHistory.has(f.commit)) joins.push({ from: key, to: `commit:${f.commit}`, kind: 'seen-on' });
    else marks.push('unjoined');
    items.push({
      key,
      kind: 'finding',
      id: f.id,
      lane,
      at: Number.isFinite(seen) ? seen : ran ? ms(ran.at) : NaN,
      label: f.title,
      details: [
        `${f.severity} ${f.kind}: ${f.title}`,
        `${f.environment ? `in ${f.environment}, ` : ''}${f.firstSeenAt || f.detectedAt ? `first seen ${f.firstSeenAt ?? f.detectedAt}` : 'time unknown'}`,
        ...(f.occurrences ? [`seen ${f.occurrences} times`] : []),
        ...(location ? [`at ${location.path}${location.line ? `:${location.line}` : ''}`] : []),
        ran ? `while ${ran.id} ran (${ran.commit?.slice(0, 12) ?? 'no commit'})` : 'not tied to a deployment',
      ],
      marks,
      target: { kind: 'finding', id: f.id, path: location?.path ?? null, line: location?.line ?? null },
    });
  }

  const placed = items.filter((i) => Number.isFinite(i.at));
  if (placed.length < items.length) notes.push(`${items.length - placed.length} item(s) without a time are not drawn`);
  const laneIndex = new Map(lanes.map((l, i) => [l.id, i]));
  placed.sort((a, b) => laneIndex.get(a.lane)! - laneIndex.get(b.lane)! || a.at - b.at || a.key.localeCompare(b.key));
  const keys = new Set(placed.map((i) => i.key));
  const times = placed.flatMap((i) => (i.end ? [i.at, i.end] : [i.at]));
  return {
    path: input.path,
    repo: input.repo,
    lanes,
    items: placed,
    joins: joins.filter((j) => keys.has(j.from) && keys.has(j.to)),
    from: times.length ? Math.min(...times) : Date.now(),
    to: times.length ? Math.max(...times) : Date.now(),
    notes,
  };
}
