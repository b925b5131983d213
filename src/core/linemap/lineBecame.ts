/**
 * The line an old line became, when the line map says it did not survive unchanged: re-indented,
 * re-quoted or re-wrapped by a formatter (black, prettier, gofmt), moved elsewhere in the file, or
 * edited in place. An engineer looking up a stack frame from an old release wants that line, marked
 * as changed, rather than "changed" alone.
 *
 * Only lines the map left unmatched on the new side are considered, so a line that still exists
 * unchanged elsewhere is never taken for another. Looked for in this order:
 *
 * 1. in the hunk that replaced it (between the nearest unchanged lines above and below), a line
 *    equal to it once whitespace and quote style are set aside (`reformatted`);
 * 2. anywhere in the file, the one unmatched line equal to it in that sense (`moved`);
 * 3. in the hunk, the line most like it, when at least half their tokens agree (`edited`), the
 *    nearest to its old offset among equals.
 *
 * Lines too short to tell apart (`}`, `return`, blank) are never guessed at.
 */

export interface BecameLine {
  /** 0-based index in the new text. */
  index: number;
  how: 'reformatted' | 'moved' | 'edited';
  /** Token similarity, 1 for reformatted and moved lines. */
  similarity: number;
}

/** At most this many lines of a hunk are compared token by token. */
const maxHunkScan = 4000;
const minimumSimilarity = 0.5;

/** The line with whitespace, quote style and trailing separators set aside. */
export function looseForm(line: string): string {
  return line
    .replace(/\s+/g, '')
    .replace(/['`]/g, '"')
    .replace(/[;,]+$/, '');
}

function tokens(line: string): string[] {
  return line.match(/[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|[^\s\w]/g) ?? [];
}

/** Dice coefficient over the lines' token multisets. */
function similarity(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
  let shared = 0;
  for (const t of b) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      shared++;
      counts.set(t, n - 1);
    }
  }
  return (2 * shared) / (a.length + b.length);
}

/**
 * Where old line `oldIndex` went, given the map from old lines to new (`fromTo[i]` is the new index
 * or -1) and the new lines; null when no line can honestly be named.
 */
export function lineBecame(oldLines: string[], newLines: string[], fromTo: ArrayLike<number>, oldIndex: number): BecameLine | null {
  const old = oldLines[oldIndex];
  if (old === undefined) return null;
  const loose = looseForm(old);
  const oldTokens = tokens(old);
  // A line of two tokens or fewer (`}`, `return x`, `else:`) has too many equals to name one.
  if (loose.length < 6 || oldTokens.filter((t) => /\w/.test(t)).length < 2) return null;

  let above = oldIndex - 1;
  while (above >= 0 && fromTo[above]! < 0) above--;
  let below = oldIndex + 1;
  while (below < oldLines.length && fromTo[below]! < 0) below++;
  const from = above >= 0 ? fromTo[above]! + 1 : 0;
  const to = below < oldLines.length ? fromTo[below]! - 1 : newLines.length - 1;
  // Where the line would sit in the hunk if it kept its offset from the line above.
  const expected = from + (oldIndex - Math.max(above, -1) - 1);

  const reformatted: number[] = [];
  for (let j = from; j <= to; j++) if (looseForm(newLines[j]!) === loose) reformatted.push(j);
  if (reformatted.length > 0) return { index: nearest(reformatted, expected), how: 'reformatted', similarity: 1 };

  const taken = new Uint8Array(newLines.length);
  for (let i = 0; i < oldLines.length; i++) if (fromTo[i]! >= 0) taken[fromTo[i]!] = 1;
  let moved = -1;
  for (let j = 0; j < newLines.length; j++) {
    if (taken[j] || looseForm(newLines[j]!) !== loose) continue;
    if (moved >= 0) {
      moved = -2; // more than one: not this one
      break;
    }
    moved = j;
  }
  if (moved >= 0) return { index: moved, how: 'moved', similarity: 1 };

  let best: { index: number; score: number } | null = null;
  for (let j = from; j <= to && j - from < maxHunkScan; j++) {
    const score = similarity(oldTokens, tokens(newLines[j]!));
    if (score < minimumSimilarity) continue;
    if (!best || score > best.score || (score === best.score && Math.abs(j - expected) < Math.abs(best.index - expected))) {
      best = { index: j, score };
    }
  }
  return best ? { index: best.index, how: 'edited', similarity: Math.round(best.score * 100) / 100 } : null;
}

function nearest(indexes: number[], expected: number): number {
  return indexes.reduce((a, b) => (Math.abs(b - expected) < Math.abs(a - expected) ? b : a));
}
