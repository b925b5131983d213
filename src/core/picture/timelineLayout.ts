/**
 * Where the timeline's items go for one view (a time window drawn at a width): only what falls in
 * the window is laid out, and items of one kind closer than a few pixels on a lane become one
 * aggregate ("14 commits"), so a file with thousands of commits draws as many shapes as the
 * window has room for. Lanes' items are time-ordered runs, so a window is found by binary search.
 */
import { scaleUtc } from 'd3-scale';
import { groupBy } from '../util/groupBy';
import type { ItemKind, Lane, TimelineItem, TimelineJoin, TimelineModel } from './timelineModel';

export interface TimelineView {
  from: number;
  to: number;
  width: number;
}

export const geometry = { labelWidth: 132, laneHeight: 56, axisHeight: 30, pad: 16, minGap: 9 };

export interface Glyph {
  /** The item's key, or `cluster:<first key>` for an aggregate. */
  key: string;
  kind: ItemKind;
  lane: string;
  x: number;
  y: number;
  /** Right end of a span (a pull request). */
  x2?: number;
  items: TimelineItem[];
  marks: string[];
}

export interface JoinLine {
  join: TimelineJoin;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface TimelineFrame {
  view: TimelineView;
  height: number;
  lanes: (Lane & { y: number; count: number })[];
  glyphs: Glyph[];
  joins: JoinLine[];
  ticks: { x: number; label: string }[];
}

/** How far above or below its lane's middle each kind sits. */
const rowOffset: Record<ItemKind, number> = { pull_request: -15, approval: -15, commit: 2, deployment: 2, finding: 19 };

const plural: Record<ItemKind, string> = {
  commit: 'commits',
  pull_request: 'pull requests',
  approval: 'approvals',
  deployment: 'deployments',
  finding: 'findings',
};

export function clusterLabel(g: Glyph): string {
  return g.items.length === 1 ? g.items[0]!.label : `${g.items.length} ${plural[g.kind]}`;
}

export class TimelineLayout {
  private readonly runs: Map<string, TimelineItem[]>;
  private readonly joinsOf: Map<string, { j: TimelineJoin }[]>;
  private readonly byKey = new Map<string, TimelineItem>();
  private readonly laneY = new Map<string, number>();

  constructor(readonly model: TimelineModel) {
    this.runs = groupBy(model.items, (i) => i.lane);
    for (const item of model.items) this.byKey.set(item.key, item);
    this.joinsOf = groupBy(
      model.joins.flatMap((j) => [
        { end: j.from, j },
        { end: j.to, j },
      ]),
      (x) => x.end,
    );
    model.lanes.forEach((l, i) => this.laneY.set(l.id, geometry.axisHeight + i * geometry.laneHeight + geometry.laneHeight / 2));
  }

  /** The whole history, with a margin so the first and last items are not on the edge. */
  fullView(width: number): TimelineView {
    const span = Math.max(this.model.to - this.model.from, 60 * 60 * 1000);
    return { from: this.model.from - span * 0.03, to: this.model.to + span * 0.03, width };
  }

  item(key: string): TimelineItem | undefined {
    return this.byKey.get(key);
  }

  frame(view: TimelineView): TimelineFrame {
    const left = geometry.labelWidth;
    const right = Math.max(left + 50, view.width - geometry.pad);
    const span = Math.max(1, view.to - view.from);
    const xOf = (t: number) => left + ((t - view.from) / span) * (right - left);
    const slack = (geometry.minGap / (right - left)) * span;
    const glyphs: Glyph[] = [];
    const placed = new Map<string, Glyph>();
    const lanes = this.model.lanes.map((l) => ({ ...l, y: this.laneY.get(l.id)!, count: this.runs.get(l.id)?.length ?? 0 }));
    for (const lane of lanes) {
      const run = this.runs.get(lane.id) ?? [];
      const open = new Map<ItemKind, Glyph>();
      // Spans begin before the window and reach into it: start the scan a longest span earlier.
      for (let i = firstAtOrAfter(run, view.from - slack - this.longestSpan(lane.id)); i < run.length; i++) {
        const item = run[i]!;
        if (item.at > view.to + slack) break;
        const x = xOf(item.at);
        const x2 = item.end !== undefined ? xOf(item.end) : undefined;
        if ((x2 ?? x) < left - geometry.minGap) continue;
        const last = open.get(item.kind);
        // Zoomed in to where a few pixels are under a minute, what is still too close happened at
        // (nearly) the same time, and zooming cannot part it: such items stand side by side.
        if (last && x - (last.x2 ?? last.x) < geometry.minGap && slack < 60_000) {
          const g: Glyph = {
            key: item.key,
            kind: item.kind,
            lane: lane.id,
            x: (last.x2 ?? last.x) + geometry.minGap + 2,
            y: lane.y + rowOffset[item.kind],
            x2: x2 === undefined ? undefined : Math.max(x2, (last.x2 ?? last.x) + geometry.minGap + 2),
            items: [item],
            marks: [...item.marks],
          };
          open.set(item.kind, g);
          glyphs.push(g);
          placed.set(item.key, g);
          continue;
        }
        if (last && x - (last.x2 ?? last.x) < geometry.minGap) {
          last.items.push(item);
          if (x2 !== undefined) last.x2 = Math.max(last.x2 ?? x2, x2);
          for (const m of item.marks) if (!last.marks.includes(m)) last.marks.push(m);
          placed.set(item.key, last);
          continue;
        }
        const g: Glyph = {
          key: item.key,
          kind: item.kind,
          lane: lane.id,
          x,
          y: lane.y + rowOffset[item.kind],
          x2,
          items: [item],
          marks: [...item.marks],
        };
        open.set(item.kind, g);
        glyphs.push(g);
        placed.set(item.key, g);
      }
    }
    for (const g of glyphs) if (g.items.length > 1) g.key = `cluster:${g.items[0]!.key}`;
    // Joins with at least one end in view; the other end is where its item is, drawn or not.
    const joins: JoinLine[] = [];
    const seen = new Set<string>();
    const at = (key: string): { x: number; y: number } | null => {
      const g = placed.get(key);
      if (g) return { x: g.x, y: g.y };
      const item = this.byKey.get(key);
      return item ? { x: xOf(item.at), y: this.laneY.get(item.lane)! + rowOffset[item.kind] } : null;
    };
    for (const g of glyphs) {
      for (const item of g.items) {
        for (const { j } of this.joinsOf.get(item.key) ?? []) {
          const a = at(j.from);
          const b = at(j.to);
          if (!a || !b) continue;
          const id = `${placed.get(j.from)?.key ?? j.from}>${placed.get(j.to)?.key ?? j.to}>${j.kind}`;
          if (seen.has(id)) continue;
          seen.add(id);
          joins.push({ join: j, x1: a.x, y1: a.y, x2: b.x, y2: b.y });
        }
      }
    }
    const scale = scaleUtc()
      .domain([new Date(view.from), new Date(view.to)])
      .range([left, right]);
    const count = Math.max(2, Math.floor((right - left) / 110));
    const format = scale.tickFormat(count);
    const ticks = scale.ticks(count).map((t) => ({ x: scale(t), label: format(t) }));
    return {
      view,
      height: geometry.axisHeight + lanes.length * geometry.laneHeight + 8,
      lanes,
      glyphs,
      joins,
      ticks,
    };
  }

  private readonly spans = new Map<string, number>();
  private longestSpan(lane: string): number {
    let longest = this.spans.get(lane);
    if (longest === undefined) {
      longest = 0;
      for (const i of this.runs.get(lane) ?? []) if (i.end !== undefined) longest = Math.max(longest, i.end - i.at);
      this.spans.set(lane, longest);
    }
    return longest;
  }
}

/** Index of the first item at or after `t` in a time-ordered run. */
function firstAtOrAfter(run: TimelineItem[], t: number): number {
  let lo = 0;
  let hi = run.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (run[mid]!.at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
