/**
 * Pictures as a small tree of SVG elements, so one renderer serves two sinks: serialised here
 * for a standalone file (every text and attribute value escaped), and built into the webview's
 * DOM with createElementNS and textContent, where no outside string is ever parsed as markup.
 * Element and attribute names come only from the renderers' code, never from data.
 */
export interface SvgNode {
  tag: string;
  attrs: Record<string, string | number | undefined>;
  children: (SvgNode | string)[];
}

export function el(tag: string, attrs: SvgNode['attrs'] = {}, children: (SvgNode | string)[] = []): SvgNode {
  return { tag, attrs, children };
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values with markup's five special characters escaped, and control characters dropped. */
export function escapeXml(value: string): string {
  // XML 1.0 forbids most C0 controls even as references: they are dropped, not encoded.
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[&<>"']/g, (c) => escapes[c]!);
}

const NAME = /^[a-zA-Z][a-zA-Z0-9:-]*$/;

export function toXml(node: SvgNode | string): string {
  if (typeof node === 'string') return escapeXml(node);
  if (!NAME.test(node.tag)) throw new Error(`not an element name: ${node.tag}`);
  let attrs = '';
  for (const [name, value] of Object.entries(node.attrs)) {
    if (value === undefined) continue;
    if (!NAME.test(name)) throw new Error(`not an attribute name: ${name}`);
    attrs += ` ${name}="${escapeXml(typeof value === 'number' ? String(round(value)) : value)}"`;
  }
  if (node.children.length === 0) return `<${node.tag}${attrs}/>`;
  return `<${node.tag}${attrs}>${node.children.map(toXml).join('')}</${node.tag}>`;
}

/** Coordinates to a tenth of a pixel: enough for the eye, a third of the bytes. */
export function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A label cut to `max` characters, an ellipsis marking the cut: pictures have no room to wrap. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
