/**
 * The picture of `lineage evidence`: the chain behind a line or a deployment (commit → pull
 * request → reviews → build → artifact → attestation → deployments → approvals and findings) as a
 * left-to-right layered graph, laid out by dagre, each link with its verification state (signature
 * verified, attestation matched, approval current, deployer verified) and each item with the
 * audit-log entry that covers it, under the audit log's own verdict.
 */
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import { evidenceHeadings, itemRef, type Evidence, type EvidenceItem, type LinkCheck } from '../evidence/evidenceChain';
import { clip, el, type SvgNode } from './svgTree';

export interface ChainNode {
  ref: string;
  item: EvidenceItem;
  check: LinkCheck | null;
  /** Where its source event sits in the audit log, or why it has none. */
  audit: { text: string; broken: boolean };
  x: number;
  y: number;
}

export interface ChainEdge {
  from: string;
  to: string;
  broken: boolean;
  points: { x: number; y: number }[];
}

export interface ChainGraph {
  nodes: ChainNode[];
  edges: ChainEdge[];
  width: number;
  height: number;
  /** unaudited: a source without an audit log (GitHub, git), said as such, not as a failure. */
  verdict: { intact: boolean; text: string; state: 'intact' | 'broken' | 'unaudited' };
}

const NODE = { width: 210, height: 66 };

function auditOf(item: EvidenceItem, e: Evidence, origin: string | undefined): ChainNode['audit'] {
  if (!e.audit && origin) return { text: `from ${origin}, not audited`, broken: false };
  if (!e.audit) return { text: 'audit log not verified', broken: true };
  if (!e.audit.ok) return { text: `audit log broken at #${e.audit.brokenAt ?? '?'}`, broken: true };
  if (item.audit) return { text: `audit entry #${item.audit.seq} ✓`, broken: false };
  if (item.eventKey) return { text: 'source event not in the audit log', broken: true };
  return { text: item.kind === 'commit' ? 'from git' : 'no source event', broken: false };
}

/**
 * `origin` names the source of a chain that has no audit log by nature (GitHub, git): its items
 * are then shown as not audited rather than as a log that failed to verify.
 */
export function chainGraph(e: Evidence, origin?: string): ChainGraph {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 44, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const byRef = new Map<string, EvidenceItem>();
  for (const item of e.items) {
    const ref = itemRef(item.kind, item.id);
    if (byRef.has(ref)) continue;
    byRef.set(ref, item);
    g.setNode(ref, { ...NODE });
  }
  const edges: [string, string][] = [];
  for (const [ref, item] of byRef) {
    for (const from of item.from ?? []) {
      if (!byRef.has(from) || from === ref) continue;
      if (edges.some(([a, b]) => a === from && b === ref)) continue;
      edges.push([from, ref]);
      g.setEdge(from, ref);
    }
  }
  dagre.layout(g);
  const intact = Boolean(e.audit?.ok) || (!e.audit && Boolean(origin));
  const nodes: ChainNode[] = [...byRef].map(([ref, item]) => {
    const n = g.node(ref);
    return { ref, item, check: item.check ?? null, audit: auditOf(item, e, origin), x: n.x ?? 0, y: n.y ?? 0 };
  });
  const nodeAudit = new Map(nodes.map((n) => [n.ref, n.audit.broken]));
  const laid = edges.map(([from, to]) => ({
    from,
    to,
    broken: !intact || Boolean(nodeAudit.get(from)) || Boolean(nodeAudit.get(to)),
    points: g.edge(from, to).points ?? [],
  }));
  const graph = g.graph();
  const verdict = !e.audit
    ? origin
      ? { intact: false, text: `No audit log: the chain as ${origin} says it now`, state: 'unaudited' as const }
      : { intact: false, text: 'Audit log not verified: the service could not verify it', state: 'broken' as const }
    : e.audit.ok
      ? {
          intact: true,
          text: `Chain intact: ${e.audit.entries} audit entries recomputed, every served row re-derived`,
          state: 'intact' as const,
        }
      : { intact: false, text: `Audit log broken at entry ${e.audit.brokenAt ?? '?'}: ${e.audit.reason ?? ''}`, state: 'broken' as const };
  return { nodes, edges: laid, width: graph.width ?? 0, height: (graph.height ?? 0) + 34, verdict };
}

function shortId(item: EvidenceItem): string {
  if (item.kind === 'commit') return item.id.slice(0, 10);
  if (item.kind === 'artifact') return item.id.replace(/^sha256:/, '').slice(0, 12);
  return clip(item.id, 18);
}

/** What a screen reader or a tooltip says of a node. */
export function nodeLabel(n: ChainNode): string {
  return [
    `${evidenceHeadings[n.item.kind]} ${n.item.id}`,
    n.item.summary,
    n.item.at ? `at ${n.item.at}` : '',
    n.check ? `${n.check.state}: ${n.check.text}` : '',
    n.audit.text,
  ]
    .filter(Boolean)
    .join('; ');
}

export function chainNode(graph: ChainGraph, options: { titles: boolean; title: string }): SvgNode {
  const top = 30;
  const edges = graph.edges.map((edge) => {
    const [first, ...rest] = edge.points;
    const d = first ? `M${first.x} ${first.y + top}${rest.map((p) => ` L${p.x} ${p.y + top}`).join('')}` : '';
    return el('path', {
      class: `edge${edge.broken ? ' broken' : ''}`,
      d,
      'data-from': edge.from,
      'data-to': edge.to,
      'marker-end': 'url(#lineage-arrow)',
    });
  });
  const nodes = graph.nodes.map((n) => {
    const x = n.x - NODE.width / 2;
    const y = n.y - NODE.height / 2 + top;
    const children: (SvgNode | string)[] = [
      el('rect', { x: 0, y: 0, width: NODE.width, height: NODE.height }),
      el('text', { class: 'kind', x: 8, y: 15 }, [`${evidenceHeadings[n.item.kind]} ${shortId(n.item)}`]),
      el('text', { class: 'summary', x: 8, y: 30 }, [clip(n.item.summary, 32)]),
      el('text', { class: 'check', x: 8, y: 45 }, [n.check ? clip(`${mark(n.check.state)} ${n.check.text}`, 34) : '']),
      el('text', { class: `audit${n.audit.broken ? ' broken' : ''}`, x: 8, y: 59 }, [clip(n.audit.text, 36)]),
    ];
    if (options.titles) children.unshift(el('title', {}, [nodeLabel(n)]));
    return el(
      'g',
      {
        class: `node item ${n.item.kind} ${n.check?.state ?? 'none'}`,
        transform: `translate(${x} ${y})`,
        'data-key': n.ref,
        'data-kind': n.item.kind,
        'data-check': n.check?.state ?? 'none',
        role: 'button',
        tabindex: -1,
        'aria-label': nodeLabel(n),
      },
      children,
    );
  });
  const width = Math.max(graph.width, 420);
  const height = graph.height + top;
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      class: 'lineage-picture chain',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'group',
      'aria-label': options.title,
    },
    [
      el('defs', {}, [
        el(
          'marker',
          { id: 'lineage-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
          [el('path', { d: 'M0 0 L10 5 L0 10 Z', class: 'arrow', fill: 'currentColor' })],
        ),
      ]),
      el('text', { class: `banner ${graph.verdict.state}`, x: 12, y: 18 }, [graph.verdict.text]),
      el('g', { class: 'edges', 'aria-hidden': 'true' }, edges),
      el('g', { class: 'nodes' }, nodes),
    ],
  );
}

function mark(state: LinkCheck['state']): string {
  return state === 'verified' ? '✓' : state === 'failed' ? '✗' : state === 'unverified' ? '?' : '·';
}
