/**
 * The Lineage Timeline's webview: draws the model the extension sends, only the window in view
 * (the layout aggregates dense stretches), pans and zooms by pointer and keyboard, and reports
 * what the user opens by item key alone; the extension looks the key up in its own model, so
 * nothing the page says is trusted as a path or a link. Outside strings reach the DOM only as
 * text nodes and attribute values.
 */
import type { SvgNode } from '../core/picture/svgTree';
import { clusterLabel, TimelineLayout, type Glyph, type TimelineView } from '../core/picture/timelineLayout';
import type { TimelineModel } from '../core/picture/timelineModel';
import { glyphLabel, timelineNode } from '../core/picture/timelineSvg';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const NS = 'http://www.w3.org/2000/svg';

const timelineBox = document.getElementById('timeline')!;
const chainBox = document.getElementById('chain')!;
const notices = document.getElementById('notices')!;
const caption = document.getElementById('caption')!;
const tooltip = document.getElementById('tooltip')!;
const live = document.getElementById('live')!;

let layout: TimelineLayout | null = null;
let view: TimelineView | null = null;
let glyphs: Glyph[] = [];
let focusKey: string | null = null;
/** Whether the whole history is in view: then a new model (new data) is fitted again. */
let fitted = true;
let pending = 0;

function toDom(node: SvgNode | string): Node {
  if (typeof node === 'string') return document.createTextNode(node);
  const element = document.createElementNS(NS, node.tag);
  for (const [name, value] of Object.entries(node.attrs)) if (value !== undefined) element.setAttribute(name, String(value));
  for (const child of node.children) element.appendChild(toDom(child));
  return element;
}

function width(): number {
  return Math.max(320, timelineBox.clientWidth || document.body.clientWidth || 800);
}

/** Draws the current window; one frame per animation frame however many events asked. */
function render(): void {
  if (pending) return;
  pending = requestAnimationFrame(() => {
    pending = 0;
    if (!layout || !view) return;
    view = { ...view, width: width() };
    const frame = layout.frame(view);
    glyphs = frame.glyphs;
    const svg = toDom(timelineNode(frame, { titles: false, title: `Lineage timeline of ${layout.model.path}` })) as SVGSVGElement;
    timelineBox.replaceChildren(svg);
    // One item is in the tab order at a time (roving tabindex): the focused one, else the newest.
    const keep = focusKey ? glyphElement(glyphFor(focusKey)?.key ?? '') : null;
    const tabStop = keep ?? svg.querySelector<SVGGElement>('.item.current') ?? lastItem(svg);
    tabStop?.setAttribute('tabindex', '0');
    if (keep && document.activeElement === document.body) keep.focus();
    reportView();
  });
}

function lastItem(svg: SVGSVGElement): SVGGElement | null {
  const items = svg.querySelectorAll<SVGGElement>('.item');
  return items[items.length - 1] ?? null;
}

function glyphFor(key: string): Glyph | undefined {
  return glyphs.find((g) => g.key === key || g.items.some((i) => i.key === key));
}

function glyphElement(key: string): SVGGElement | null {
  return timelineBox.querySelector<SVGGElement>(`.item[data-key="${CSS.escape(key)}"]`);
}

let viewTimer: ReturnType<typeof setTimeout> | undefined;
/** Tells the extension which stretch is in view, so it can fetch pull requests of the commits there. */
function reportView(): void {
  clearTimeout(viewTimer);
  viewTimer = setTimeout(() => {
    if (view) vscode.postMessage({ type: 'visible', from: view.from, to: view.to });
  }, 300);
}

function zoom(factor: number, atX?: number): void {
  if (!view) return;
  const left = 132;
  const span = view.to - view.from;
  const anchor = atX === undefined ? 0.5 : Math.min(1, Math.max(0, (atX - left) / Math.max(1, view.width - left - 16)));
  const pivot = view.from + span * anchor;
  const next = Math.max(60_000, span * factor);
  fitted = false;
  view = { ...view, from: pivot - next * anchor, to: pivot + next * (1 - anchor) };
  render();
}

function pan(fraction: number): void {
  if (!view) return;
  const by = (view.to - view.from) * fraction;
  fitted = false;
  view = { ...view, from: view.from + by, to: view.to + by };
  render();
}

function fit(): void {
  if (!layout) return;
  view = layout.fullView(width());
  fitted = true;
  render();
}

function activate(key: string): void {
  const g = glyphFor(key);
  if (!g) return;
  if (g.items.length > 1 && view) {
    // An aggregate opens by zooming in on its stretch.
    const from = g.items[0]!.at;
    const to = Math.max(...g.items.map((i) => i.end ?? i.at));
    const margin = Math.max((to - from) * 0.15, 60_000);
    fitted = false;
    view = { ...view, from: from - margin, to: to + margin };
    focusKey = g.items[0]!.key;
    render();
    return;
  }
  vscode.postMessage({ type: 'open', key: g.items[0]!.key });
}

function showTooltip(target: Element, x: number, y: number): void {
  const key = target.getAttribute('data-key');
  const g = key ? glyphFor(key) : undefined;
  const text = g ? (g.items.length > 1 ? glyphLabel(g) : g.items[0]!.details.join('\n')) : target.getAttribute('aria-label');
  if (!text) return;
  tooltip.textContent = g && g.items.length > 1 ? `${clusterLabel(g)}\n${text}` : text;
  tooltip.hidden = false;
  tooltip.style.left = `${Math.min(x + 12, window.innerWidth - 340)}px`;
  tooltip.style.top = `${y + 14}px`;
}

/** The glyph beside this one: on its lane (left, right) or the nearest in time on the next lane (up, down). */
function neighbour(key: string, direction: 'left' | 'right' | 'up' | 'down'): Glyph | undefined {
  const g = glyphFor(key);
  if (!g || !layout) return undefined;
  if (direction === 'left' || direction === 'right') {
    const lane = glyphs.filter((x) => x.lane === g.lane).sort((a, b) => a.x - b.x);
    return lane[lane.indexOf(g) + (direction === 'left' ? -1 : 1)];
  }
  const lanes = layout.model.lanes.map((l) => l.id);
  for (let i = lanes.indexOf(g.lane) + (direction === 'up' ? -1 : 1); i >= 0 && i < lanes.length; i += direction === 'up' ? -1 : 1) {
    const candidates = glyphs.filter((x) => x.lane === lanes[i]);
    if (candidates.length) return candidates.reduce((best, x) => (Math.abs(x.x - g.x) < Math.abs(best.x - g.x) ? x : best));
  }
  return undefined;
}

function moveFocus(to: Glyph | undefined): void {
  if (!to) return;
  const from = document.activeElement;
  const element = glyphElement(to.key);
  if (!element) return;
  from?.setAttribute('tabindex', '-1');
  element.setAttribute('tabindex', '0');
  element.focus();
  focusKey = to.key;
  live.textContent = element.getAttribute('aria-label') ?? '';
}

timelineBox.addEventListener('click', (e) => {
  const item = (e.target as Element).closest('.item');
  const key = item?.getAttribute('data-key');
  if (key) {
    focusKey = key;
    activate(key);
  }
});
timelineBox.addEventListener('keydown', (e) => {
  const key = (e.target as Element).closest('.item')?.getAttribute('data-key');
  const arrows: Record<string, 'left' | 'right' | 'up' | 'down'> = {
    ArrowLeft: 'left',
    ArrowRight: 'right',
    ArrowUp: 'up',
    ArrowDown: 'down',
  };
  if (key && arrows[e.key]) {
    moveFocus(neighbour(key, arrows[e.key]!));
    e.preventDefault();
  } else if (key && (e.key === 'Enter' || e.key === ' ')) {
    activate(key);
    e.preventDefault();
  }
});
document.addEventListener('keydown', (e) => {
  if ((e.target as Element).closest('button')) return;
  if (e.key === '+' || e.key === '=') zoom(0.5);
  else if (e.key === '-') zoom(2);
  else if (e.key === 'PageUp') pan(-0.5);
  else if (e.key === 'PageDown') pan(0.5);
  else if (e.key === '0') fit();
});
timelineBox.addEventListener('focusin', (e) => {
  const item = (e.target as Element).closest('.item');
  if (!item) return;
  const box = item.getBoundingClientRect();
  showTooltip(item, box.left, box.bottom);
});
timelineBox.addEventListener('focusout', () => (tooltip.hidden = true));
timelineBox.addEventListener('mouseover', (e) => {
  const item = (e.target as Element).closest('.item');
  if (item) showTooltip(item, e.clientX, e.clientY);
});
timelineBox.addEventListener('mouseout', (e) => {
  if ((e.target as Element).closest('.item')) tooltip.hidden = true;
});
timelineBox.addEventListener(
  'wheel',
  (e) => {
    if (!view) return;
    e.preventDefault();
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan((e.deltaX || e.deltaY) / 800);
    else zoom(Math.exp(e.deltaY / 400), e.offsetX);
  },
  { passive: false },
);
let drag: { x: number; from: number; to: number } | null = null;
timelineBox.addEventListener('pointerdown', (e) => {
  if (!view || (e.target as Element).closest('.item')) return;
  drag = { x: e.clientX, from: view.from, to: view.to };
  timelineBox.setPointerCapture(e.pointerId);
});
timelineBox.addEventListener('pointermove', (e) => {
  if (!drag || !view) return;
  const perPixel = (drag.to - drag.from) / Math.max(1, view.width - 148);
  const by = (drag.x - e.clientX) * perPixel;
  fitted = false;
  view = { ...view, from: drag.from + by, to: drag.to + by };
  render();
});
timelineBox.addEventListener('pointerup', () => (drag = null));
new ResizeObserver(() => render()).observe(timelineBox);

for (const [id, act] of [
  ['zoom-in', () => zoom(0.5)],
  ['zoom-out', () => zoom(2)],
  ['fit', fit],
  ['earlier', () => pan(-0.5)],
  ['later', () => pan(0.5)],
] as const)
  document.getElementById(id)?.addEventListener('click', act);

chainBox.addEventListener('click', (e) => {
  const key = (e.target as Element).closest('.node')?.getAttribute('data-key');
  if (key) vscode.postMessage({ type: 'openChain', ref: key });
});
chainBox.addEventListener('keydown', (e) => {
  const node = (e.target as Element).closest('.node');
  const key = node?.getAttribute('data-key');
  if (key && (e.key === 'Enter' || e.key === ' ')) {
    vscode.postMessage({ type: 'openChain', ref: key });
    e.preventDefault();
  }
});

/** The page as the tests read it: every lane, item and join from the DOM, and the theme's colours. */
function snapshot(): unknown {
  const svg = timelineBox.querySelector('svg');
  const fill = (selector: string) => {
    const shape = timelineBox.querySelector(`${selector} .shape`);
    return shape ? getComputedStyle(shape).fill : null;
  };
  return {
    theme: document.body.className,
    background: getComputedStyle(document.body).backgroundColor,
    colours: { commit: fill('.item.commit'), deployment: fill('.item.deployment'), finding: fill('.item.finding') },
    caption: caption.textContent,
    notices: notices.textContent,
    lanes: [...(svg?.querySelectorAll('.lane') ?? [])].map((l) => ({
      id: l.getAttribute('data-lane'),
      label: l.getAttribute('aria-label'),
    })),
    items: [...(svg?.querySelectorAll('.item') ?? [])].map((i) => ({
      key: i.getAttribute('data-key'),
      kind: i.getAttribute('data-kind'),
      lane: i.getAttribute('data-lane'),
      count: Number(i.getAttribute('data-count')),
      members: (i.getAttribute('data-members') ?? i.getAttribute('data-key') ?? '').split(' '),
      classes: i.getAttribute('class'),
      label: i.getAttribute('aria-label'),
      role: i.getAttribute('role'),
      tabindex: i.getAttribute('tabindex'),
    })),
    joins: [...(svg?.querySelectorAll('.join') ?? [])].map((j) => ({
      from: j.getAttribute('data-from'),
      to: j.getAttribute('data-to'),
      kind: (j.getAttribute('class') ?? '').replace('join ', ''),
    })),
    chain: [...chainBox.querySelectorAll('.node')].map((n) => ({
      key: n.getAttribute('data-key'),
      check: n.getAttribute('data-check'),
      label: n.getAttribute('aria-label'),
    })),
    chainVerdict: chainBox.querySelector('.banner')?.textContent ?? chainBox.querySelector('p')?.textContent ?? null,
    chainEdges: [...chainBox.querySelectorAll('.edge')].map((e) => ({ from: e.getAttribute('data-from'), to: e.getAttribute('data-to') })),
    focused: document.activeElement?.getAttribute('data-key') ?? null,
    state: vscode.getState() ?? null,
  };
}

function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      if (pending) setTimeout(done, 16);
      else resolve();
    };
    requestAnimationFrame(() => setTimeout(done, 0));
    setTimeout(done, 150);
  });
}

window.addEventListener('message', (event: MessageEvent) => {
  const m = event.data as { type?: string; [k: string]: unknown };
  switch (m.type) {
    case 'model': {
      const model = m.model as TimelineModel;
      const keepView = m.keepView === true && view !== null && !fitted && layout?.model.path === model.path;
      layout = new TimelineLayout(model);
      if (!keepView) {
        view = layout.fullView(width());
        fitted = true;
      }
      if (typeof m.caption === 'string') caption.textContent = m.caption;
      if (Array.isArray(m.notices)) {
        notices.textContent = m.notices.filter((n): n is string => typeof n === 'string').join(' · ');
        notices.hidden = notices.textContent === '';
      }
      render();
      // Kept by VS Code across a reload: the restored panel draws this file again even when no editor is active.
      if (m.subject && typeof m.subject === 'object') vscode.setState({ subject: m.subject });
      vscode.postMessage({ type: 'rendered', items: model.items.length });
      break;
    }
    case 'chain': {
      chainBox.replaceChildren();
      const title = document.createElement('h2');
      title.textContent = typeof m.title === 'string' ? m.title : '';
      chainBox.appendChild(title);
      if (m.svg) chainBox.appendChild(toDom(m.svg as SvgNode));
      if (typeof m.message === 'string') {
        const p = document.createElement('p');
        p.textContent = m.message;
        chainBox.appendChild(p);
      }
      chainBox.querySelector<SVGGElement>('.node')?.setAttribute('tabindex', '0');
      break;
    }
    case 'snapshot':
      // After the frame a click or a model asked for is drawn (a hidden page draws no frames: then soon).
      void nextFrame().then(() => vscode.postMessage({ type: 'snapshot', id: m.id, snapshot: snapshot() }));
      break;
    case 'key': {
      // A key pressed on an item (focused first), as a keyboard user does.
      const key = typeof m.key === 'string' ? m.key : '';
      const element =
        timelineBox.querySelector<SVGGElement>(`[data-key="${CSS.escape(key)}"]`) ?? (document.activeElement as SVGGElement | null);
      if (element && element !== document.activeElement) element.focus();
      element?.dispatchEvent(new KeyboardEvent('keydown', { key: String(m.press), bubbles: true }));
      vscode.postMessage({ type: 'pressed', id: m.id, found: Boolean(element) });
      break;
    }
    case 'press': {
      // The same path as a user's click: a real click event on the element.
      const key = typeof m.key === 'string' ? m.key : '';
      const element = key.startsWith('#')
        ? document.getElementById(key.slice(1))
        : (timelineBox.querySelector(`[data-key="${CSS.escape(key)}"]`) ?? chainBox.querySelector(`[data-key="${CSS.escape(key)}"]`));
      element?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      vscode.postMessage({ type: 'pressed', id: m.id, found: Boolean(element) });
      break;
    }
  }
});

vscode.postMessage({ type: 'ready' });
