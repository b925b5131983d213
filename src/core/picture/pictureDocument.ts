/**
 * Pictures as standalone files an auditor can attach to a ticket: an SVG, or an HTML page with
 * the chain, the file's timeline when there is one, and the evidence table. Nothing in them runs
 * or loads: no script, no remote content (the page's policy forbids both), every outside string
 * escaped by the serialiser.
 */
import { evidenceHeadings, type Evidence } from '../evidence/evidenceChain';
import { chainGraph, chainNode } from './chainGraph';
import { pictureCss, standalonePaletteCss } from './pictureStyles';
import { el, escapeXml, toXml, type SvgNode } from './svgTree';
import { TimelineLayout } from './timelineLayout';
import type { TimelineModel } from './timelineModel';
import { timelineNode } from './timelineSvg';

export function evidenceTitle(e: Evidence): string {
  return e.subject.kind === 'line'
    ? `Evidence: ${e.subject.path}:${e.subject.line} (commit ${e.subject.commit.slice(0, 12)}) in ${e.repo}`
    : `Evidence: deployment ${e.subject.id} in ${e.repo}`;
}

function withStyle(svg: SvgNode): SvgNode {
  return { ...svg, children: [el('style', {}, [standalonePaletteCss + pictureCss]), ...svg.children] };
}

/** The chain as one SVG document, styled for light and dark readers. */
export function evidenceSvg(e: Evidence): string {
  const svg = chainNode(chainGraph(e), { titles: true, title: evidenceTitle(e) });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${toXml(withStyle(svg))}\n`;
}

/** The whole timeline of a file drawn at one width, dense stretches aggregated. */
export function timelineSvgNode(model: TimelineModel, width = 1200): SvgNode {
  const layout = new TimelineLayout(model);
  return timelineNode(layout.frame(layout.fullView(width)), { titles: true, title: `Lineage timeline of ${model.path}` });
}

/** The chain, the timeline and the evidence table as one HTML page. */
export function evidenceHtml(e: Evidence, timeline?: TimelineModel | null): string {
  const title = evidenceTitle(e);
  const rows = e.items
    .map(
      (i) =>
        `<tr><td>${escapeXml(evidenceHeadings[i.kind])}</td><td><code>${escapeXml(i.id)}</code></td><td>${escapeXml(i.summary)}</td><td>${escapeXml(i.check ? `${i.check.state}: ${i.check.text}` : '')}</td><td>${escapeXml(i.at ?? '')}</td><td>${escapeXml(i.eventKey ?? '')}</td><td>${i.audit ? `#${i.audit.seq} <code>${escapeXml(i.audit.hash.slice(0, 16))}…</code>` : ''}</td></tr>`,
    )
    .join('\n');
  const chain = toXml(chainNode(chainGraph(e), { titles: true, title }));
  const lanes = timeline
    ? `<h2>Timeline of ${escapeXml(timeline.path)}</h2>\n<div class="scroll">${toXml(timelineSvgNode(timeline))}</div>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${standalonePaletteCss}${pictureCss}
body { font-family: var(--lin-font); color: var(--lin-fg); background: var(--lin-bg); margin: 24px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border: 1px solid var(--lin-grid); padding: 4px 8px; text-align: left; vertical-align: top; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<div class="scroll">${chain}</div>
${lanes}
<h2>Items</h2>
<table>
<thead><tr><th></th><th>item</th><th>detail</th><th>check</th><th>time</th><th>source event</th><th>audit entry</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
