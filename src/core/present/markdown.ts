/**
 * Markdown for hovers and copied lineage. Everything that comes from outside (commit messages,
 * names, finding titles, API fields) goes through `escapeMarkdown`, so it renders as the text it
 * is: no links, no images, no HTML, no command URIs it did not come with. Links are built here
 * only from values checked first: https URLs, and this extension's own commands.
 */

/** Control characters, including bidi overrides that would make text read differently than it is. */

const unsafeChars = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Outside text for plain-text surfaces (decorations, tree labels, the status bar, quick picks,
 * notifications): one line, no controls, bounded. Two of those surfaces still read syntax in
 * plain text: `$(name)` draws an icon (status bar, quick picks) and `[label](target)` makes a link
 * in a notification, `command:` targets included. A zero-width space keeps both literal.
 */
export function plainText(text: string, maxLength = 120): string {
  let t = text
    .replace(unsafeChars, '')
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();
  if (t.length > maxLength) t = `${t.slice(0, maxLength - 1)}…`;
  return t.replace(/\$\(/g, '$\u200b(').replace(/\]\(/g, ']\u200b(');
}

/** Outside text as inert Markdown on one line: every Markdown and HTML metacharacter escaped. */
export function escapeMarkdown(text: string, maxLength = 300): string {
  let t = text
    .replace(unsafeChars, '')
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();
  if (t.length > maxLength) t = `${t.slice(0, maxLength - 1)}…`;
  return t.replace(/[\\`*_{}[\]()#+\-.!|~<>&"':@]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`));
}

/** An https URL, or null: other schemes (javascript:, command:, file:, http:) never become links. */
export function safeHttpsUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' || u.username || u.password) return null;
    return u.toString();
  } catch {
    return null;
  }
}

/** `[label](url)` for an https URL; the escaped label alone otherwise. */
export function httpsLink(label: string, url: string | null | undefined): string {
  const safe = safeHttpsUrl(url);
  const text = escapeMarkdown(label);
  // Parentheses and spaces in the URL would end the link target early (encodeURIComponent keeps parentheses).
  return safe ? `[${text}](${safe.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})` : text;
}

/** The commands a hover may link to; the MarkdownString's `isTrusted` allows exactly these. */
export const hoverCommands = [
  'lineage.showLineLineage',
  'lineage.showTimeline',
  'lineage.openPullRequest',
  'lineage.openDeployment',
  'lineage.openFinding',
  'lineage.copyLineLineage',
  'lineage.signInGitHub',
  'workbench.trust.manage',
] as const;

export type HoverCommand = (typeof hoverCommands)[number];

/** A link that runs one of the allowed commands with JSON arguments. */
export function commandLink(label: string, command: HoverCommand, args: unknown[] = [], title?: string): string {
  const query = args.length > 0 ? `?${encodeURIComponent(JSON.stringify(args))}` : '';
  const tip = title ? ` "${escapeMarkdown(title).replace(/"/g, '')}"` : '';
  return `[${escapeMarkdown(label)}](command:${command}${query}${tip})`;
}
