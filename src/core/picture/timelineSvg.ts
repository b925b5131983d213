/**
 * A timeline frame drawn as SVG elements: lanes with their labels, the time axis, the joins
 * behind the items, and each item (or aggregate) as a focusable group carrying its key, kind,
 * lane, joins and a screen-reader label. Colours are CSS classes resolved by pictureStyles, so
 * the editor's theme or the document's colour scheme decides them.
 */
import { clip, el, round, type SvgNode } from './svgTree';
import { clusterLabel, geometry, type Glyph, type TimelineFrame } from './timelineLayout';

function shape(g: Glyph): SvgNode[] {
  if (g.items.length > 1) {
    const w = Math.max(18, (g.x2 ?? g.x) - g.x + 14);
    return [
      el('rect', { class: 'shape', x: -7, y: -8, width: w, height: 16, rx: 8 }),
      el('text', { class: 'count', x: w / 2 - 7, y: 4, 'text-anchor': 'middle' }, [String(g.items.length)]),
    ];
  }
  switch (g.kind) {
    case 'commit':
      return [el('circle', { class: 'shape', r: g.marks.includes('focus') || g.marks.includes('cursor') ? 6 : 4.5 })];
    case 'pull_request':
      return [el('rect', { class: 'shape', x: 0, y: -3, width: Math.max(4, (g.x2 ?? g.x) - g.x), height: 6, rx: 3 })];
    case 'approval':
      return [el('path', { class: 'shape', d: 'M-4 -1 L-1 3 L5 -5' })];
    case 'deployment':
      if (g.marks.includes('rollback')) return [el('path', { class: 'shape', d: 'M7 -7 L-7 0 L7 7 Z' })];
      if (g.marks.includes('hotfix')) return [el('path', { class: 'shape', d: 'M0 -8 L8 0 L0 8 L-8 0 Z' })];
      return [el('rect', { class: 'shape', x: -6, y: -6, width: 12, height: 12, rx: 2 })];
    case 'finding':
      return [el('path', { class: 'shape', d: 'M0 -7 L7 6 L-7 6 Z' })];
  }
}

/** What a screen reader says for an item: its details, or an aggregate's extent. */
export function glyphLabel(g: Glyph): string {
  if (g.items.length === 1) return g.items[0]!.details.filter(Boolean).join('; ');
  const first = new Date(g.items[0]!.at).toISOString().slice(0, 10);
  const last = new Date(g.items[g.items.length - 1]!.at).toISOString().slice(0, 10);
  const marks = g.marks.filter((m) => ['rollback', 'hotfix', 'rolled-back', 'stale', 'failed', 'current'].includes(m));
  return `${clusterLabel(g)} from ${first} to ${last}${marks.length ? ` (including ${marks.join(', ')})` : ''}; Enter zooms in`;
}

export function glyphNode(g: Glyph, options: { titles: boolean }): SvgNode {
  const children: (SvgNode | string)[] = shape(g);
  if (options.titles) children.unshift(el('title', {}, [glyphLabel(g)]));
  return el(
    'g',
    {
      class: ['item', g.kind, g.items.length > 1 ? 'cluster' : '', ...g.marks].filter(Boolean).join(' '),
      transform: `translate(${round(g.x)} ${g.y})`,
      'data-key': g.key,
      'data-kind': g.kind,
      'data-lane': g.lane,
      'data-count': g.items.length,
      // An aggregate names what it holds, so a reader of the page can tell every item is drawn.
      'data-members': g.items.length > 1 ? g.items.map((i) => i.key).join(' ') : undefined,
      role: 'button',
      tabindex: -1,
      'aria-label': glyphLabel(g),
    },
    children,
  );
}

export function timelineNode(frame: TimelineFrame, options: { titles: boolean; title: string }): SvgNode {
  const { width } = frame.view;
  const lanes = frame.lanes.map((l, i) =>
    el(
      'g',
      {
        class: `lane ${l.kind}`,
        'data-lane': l.id,
        role: 'group',
        'aria-label': `${l.kind === 'history' ? 'history of' : 'environment'} ${l.label}: ${l.count} items`,
      },
      [
        el('rect', { class: i % 2 ? 'band odd' : 'band', x: 0, y: l.y - geometry.laneHeight / 2, width, height: geometry.laneHeight }),
        el('text', { class: 'lane-label', x: 8, y: l.y + 4 }, [clip(l.kind === 'history' ? basename(l.label) : l.label, 18)]),
      ],
    ),
  );
  const axis = el(
    'g',
    { class: 'axis', 'aria-hidden': 'true' },
    frame.ticks.flatMap((t) => [
      el('line', { class: 'tick', x1: t.x, x2: t.x, y1: geometry.axisHeight - 6, y2: frame.height }),
      el('text', { class: 'tick-label', x: t.x + 3, y: geometry.axisHeight - 10 }, [t.label]),
    ]),
  );
  const joins = el(
    'g',
    { class: 'joins', 'aria-hidden': 'true' },
    frame.joins.map((j) =>
      el('path', {
        class: `join ${j.join.kind}`,
        d: `M${round(j.x1)} ${round(j.y1)} C${round(j.x1)} ${round((j.y1 + j.y2) / 2)} ${round(j.x2)} ${round((j.y1 + j.y2) / 2)} ${round(j.x2)} ${round(j.y2)}`,
        'data-from': j.join.from,
        'data-to': j.join.to,
      }),
    ),
  );
  const items = el(
    'g',
    { class: 'items' },
    frame.glyphs.map((g) => glyphNode(g, options)),
  );
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      class: 'lineage-picture timeline',
      width,
      height: frame.height,
      viewBox: `0 0 ${width} ${frame.height}`,
      role: 'group',
      'aria-label': options.title,
    },
    [...(lanes.length ? [el('g', { class: 'lanes' }, lanes)] : []), axis, joins, items],
  );
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);
