/**
 * How pictures look, as CSS over a handful of custom properties: in the editor they are VS Code's
 * theme colours (so light, dark and high-contrast themes all read), in a standalone file a light
 * and a dark palette chosen by the reader's colour scheme. Shape tells kinds apart as well as
 * colour does (square deployment, left arrow rollback, diamond hotfix, triangle finding).
 */
export const pictureCss = `
.lineage-picture { font: 12px var(--lin-font); color: var(--lin-fg); background: var(--lin-bg); }
.lineage-picture text { fill: var(--lin-fg); }
.lineage-picture .band { fill: transparent; }
.lineage-picture .band.odd { fill: var(--lin-band); }
.lineage-picture .lane-label { font-weight: 600; }
.lineage-picture .tick { stroke: var(--lin-grid); stroke-width: 1; }
.lineage-picture .tick-label { fill: var(--lin-muted); font-size: 11px; }
.lineage-picture .join { fill: none; stroke: var(--lin-muted); stroke-width: 1; opacity: 0.55; }
.lineage-picture .join.shipped { stroke: var(--lin-deploy); stroke-dasharray: 3 2; }
.lineage-picture .join.seen-on { stroke: var(--lin-finding); }
.lineage-picture .join.rolled-back { stroke: var(--lin-rollback); stroke-dasharray: 1 2; }
.lineage-picture .item { cursor: pointer; outline: none; }
.lineage-picture .item .shape { stroke: var(--lin-bg); stroke-width: 1.5; }
.lineage-picture .item.commit .shape { fill: var(--lin-commit); }
.lineage-picture .item.commit.focus .shape, .lineage-picture .item.commit.cursor .shape { fill: var(--lin-focus); }
.lineage-picture .item.pull_request .shape { fill: var(--lin-pr); opacity: 0.8; }
.lineage-picture .item.pull_request.unapproved .shape { fill: var(--lin-warn); }
.lineage-picture .item.approval .shape { fill: none; stroke: var(--lin-ok); stroke-width: 2.2; }
.lineage-picture .item.approval.stale .shape { stroke: var(--lin-bad); }
.lineage-picture .item.deployment .shape { fill: var(--lin-deploy); }
.lineage-picture .item.deployment.rollback .shape { fill: var(--lin-rollback); }
.lineage-picture .item.deployment.hotfix .shape { fill: var(--lin-hotfix); }
.lineage-picture .item.deployment.failed .shape, .lineage-picture .item.deployment.not-live .shape { fill: var(--lin-bg); stroke: var(--lin-bad); stroke-width: 2; }
.lineage-picture .item.deployment.rolled-back .shape { opacity: 0.55; }
.lineage-picture .item.deployment.current .shape { stroke: var(--lin-fg); stroke-width: 2; }
.lineage-picture .item.finding .shape { fill: var(--lin-finding); }
.lineage-picture .item.finding.severity-low .shape, .lineage-picture .item.finding.severity-info .shape { fill: var(--lin-warn); }
.lineage-picture .item.cluster .shape { fill: var(--lin-cluster); stroke: var(--lin-muted); stroke-width: 1; }
.lineage-picture .item.cluster .count { fill: var(--lin-fg); font-size: 10px; }
.lineage-picture .item:focus .shape, .lineage-picture .item.selected .shape { stroke: var(--lin-focus-border); stroke-width: 3; }
.lineage-picture .node rect { fill: var(--lin-node); stroke: var(--lin-muted); stroke-width: 1; rx: 6; }
.lineage-picture .node.verified rect { stroke: var(--lin-ok); stroke-width: 2; }
.lineage-picture .node.failed rect { stroke: var(--lin-bad); stroke-width: 2.5; }
.lineage-picture .node.unverified rect { stroke: var(--lin-warn); stroke-width: 2; stroke-dasharray: 4 2; }
.lineage-picture .node .kind { font-weight: 700; }
.lineage-picture .node .check { fill: var(--lin-muted); font-size: 11px; }
.lineage-picture .node.verified .check { fill: var(--lin-ok); }
.lineage-picture .node.failed .check { fill: var(--lin-bad); }
.lineage-picture .node .audit { fill: var(--lin-muted); font-size: 10px; }
.lineage-picture .node .audit.broken { fill: var(--lin-bad); }
.lineage-picture .edge { fill: none; stroke: var(--lin-muted); stroke-width: 1.4; }
.lineage-picture .edge.broken { stroke: var(--lin-bad); stroke-dasharray: 5 3; }
.lineage-picture .banner { font-weight: 600; }
.lineage-picture .banner.broken { fill: var(--lin-bad); }
.lineage-picture .banner.intact { fill: var(--lin-ok); }
.lineage-picture .banner.unaudited { fill: var(--lin-muted); }
`;

/** The editor's theme: VS Code sets these on every webview, for every theme kind. */
export const vscodePaletteCss = `
:root {
  --lin-font: var(--vscode-font-family);
  --lin-fg: var(--vscode-foreground);
  --lin-bg: var(--vscode-editor-background);
  --lin-band: var(--vscode-list-hoverBackground, rgba(128,128,128,0.07));
  --lin-muted: var(--vscode-descriptionForeground);
  --lin-grid: var(--vscode-editorRuler-foreground, var(--vscode-widget-border, rgba(128,128,128,0.25)));
  --lin-commit: var(--vscode-charts-blue);
  --lin-pr: var(--vscode-charts-purple);
  --lin-deploy: var(--vscode-charts-green);
  --lin-rollback: var(--vscode-charts-orange);
  --lin-hotfix: var(--vscode-charts-yellow);
  --lin-finding: var(--vscode-charts-red);
  --lin-warn: var(--vscode-charts-yellow);
  --lin-ok: var(--vscode-testing-iconPassed, var(--vscode-charts-green));
  --lin-bad: var(--vscode-errorForeground);
  --lin-focus: var(--vscode-charts-yellow);
  --lin-focus-border: var(--vscode-focusBorder);
  --lin-cluster: var(--vscode-badge-background);
  --lin-node: var(--vscode-editorWidget-background);
}
body.vscode-high-contrast .lineage-picture .item .shape, body.vscode-high-contrast-light .lineage-picture .item .shape { stroke: var(--vscode-contrastBorder); }
`;

/** A standalone file's palette: light, or dark when the reader's system prefers it. */
export const standalonePaletteCss = `
:root {
  --lin-font: -apple-system, "Segoe UI", system-ui, sans-serif;
  --lin-fg: #1f2328; --lin-bg: #ffffff; --lin-band: #f6f8fa; --lin-muted: #59636e; --lin-grid: #d1d9e0;
  --lin-commit: #0969da; --lin-pr: #8250df; --lin-deploy: #1a7f37; --lin-rollback: #bc4c00; --lin-hotfix: #9a6700;
  --lin-finding: #cf222e; --lin-warn: #9a6700; --lin-ok: #1a7f37; --lin-bad: #cf222e; --lin-focus: #bf8700;
  --lin-focus-border: #0969da; --lin-cluster: #eaeef2; --lin-node: #ffffff;
}
@media (prefers-color-scheme: dark) {
  :root {
    --lin-fg: #e6edf3; --lin-bg: #0d1117; --lin-band: #161b22; --lin-muted: #9198a1; --lin-grid: #30363d;
    --lin-commit: #4493f8; --lin-pr: #ab7df8; --lin-deploy: #3fb950; --lin-rollback: #db6d28; --lin-hotfix: #d29922;
    --lin-finding: #f85149; --lin-warn: #d29922; --lin-ok: #3fb950; --lin-bad: #f85149; --lin-focus: #e3b341;
    --lin-focus-border: #4493f8; --lin-cluster: #21262d; --lin-node: #161b22;
  }
}
`;
