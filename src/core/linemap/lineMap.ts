/**
 * Line maps between two versions of a text: which lines of `to` are unchanged lines of `from`,
 * and which line they were. This is how a buffer line is known to be live in an environment (it
 * maps to an unchanged line of the deployed revision) and how a finding reported against an old
 * revision lands on today's line. Lines are compared exactly, after normalising CRLF.
 *
 * Common prefix and suffix are matched first (the usual case: a few edits in a large file). Lines
 * of the middle that occur on one side only are set aside, since no alignment can match them (a
 * rewrite leaves few lines in common: blank lines, braces), and what is left goes through Myers'
 * O((N+M)·D) diff in linear space (the middle-snake bisection, Myers 1986 §4b), on interned line
 * ids in typed arrays, with git's cost limit for large scattered changes. The diff is bounded: a middle that needs more than `maxEditLength` edits is
 * treated as entirely changed rather than taking quadratic time.
 */

export interface LineMap {
  /** For each 0-based line of `to`, the 0-based line of `from` it is an unchanged copy of, or -1. */
  readonly toFrom: Int32Array;
  /** For each 0-based line of `from`, the 0-based line of `to` it survives as, or -1. */
  readonly fromTo: Int32Array;
}

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function mapLines(from: readonly string[], to: readonly string[], maxEditLength = 20_000): LineMap {
  const toFrom = new Int32Array(to.length).fill(-1);
  const fromTo = new Int32Array(from.length).fill(-1);
  const link = (f: number, t: number) => {
    toFrom[t] = f;
    fromTo[f] = t;
  };
  let start = 0;
  while (start < from.length && start < to.length && from[start] === to[start]) {
    link(start, start);
    start++;
  }
  let endFrom = from.length;
  let endTo = to.length;
  while (endFrom > start && endTo > start && from[endFrom - 1] === to[endTo - 1]) {
    endFrom--;
    endTo--;
    link(endFrom, endTo);
  }
  if (endFrom > start && endTo > start) {
    const pairs = middleMatches(from, to, start, endFrom, endTo, maxEditLength);
    if (pairs) for (let p = 0; p < pairs.length; p += 2) link(pairs[p]!, pairs[p + 1]!);
  }
  return { toFrom, fromTo };
}

/**
 * The matched lines of from[start, endFrom) and to[start, endTo) as a flat [from, to, …] list of
 * absolute line numbers, or null past the edit bound.
 */
function middleMatches(
  from: readonly string[],
  to: readonly string[],
  start: number,
  endFrom: number,
  endTo: number,
  maxEditLength: number,
): number[] | null {
  const ids = new Map<string, number>();
  const idsOf = (lines: readonly string[], lo: number, hi: number) => {
    const out = new Int32Array(hi - lo);
    for (let i = lo; i < hi; i++) {
      let id = ids.get(lines[i]!);
      if (id === undefined) ids.set(lines[i]!, (id = ids.size));
      out[i - lo] = id;
    }
    return out;
  };
  const a = idsOf(from, start, endFrom);
  const b = idsOf(to, start, endTo);
  const inA = new Uint8Array(ids.size);
  const inB = new Uint8Array(ids.size);
  for (const id of a) inA[id] = 1;
  for (const id of b) inB[id] = 1;
  const kept = (seq: Int32Array, other: Uint8Array) => {
    const at: number[] = [];
    for (let i = 0; i < seq.length; i++) if (other[seq[i]!]) at.push(i);
    return { ids: Int32Array.from(at, (i) => seq[i]!), at };
  };
  const ka = kept(a, inB);
  const kb = kept(b, inA);
  if (ka.ids.length === 0 || kb.ids.length === 0) return [];
  const matches: number[] = [];
  const report = (x: number, y: number) => matches.push(start + ka.at[x]!, start + kb.at[y]!);
  // A minimal alignment while it is cheap to find; past that, anchored on the lines that occur
  // once on each side (patience diff), which keeps a moved block whole where a capped search
  // would cut it up.
  const diff = new LinearDiff(ka.ids, kb.ids, report);
  if (diff.run(0, ka.ids.length, 0, kb.ids.length, { maxD: Math.min(maxEditLength, exactEditBudget), costFloor: Infinity })) return matches;
  if (maxEditLength <= exactEditBudget) return null;
  matches.length = 0;
  const anchored = { maxD: Infinity, costFloor: costLimitFloor };
  let [x, y] = [0, 0];
  for (const [i, j] of uniqueAnchors(ka.ids, kb.ids, ids.size)) {
    diff.run(x, i, y, j, anchored);
    report(i, j);
    [x, y] = [i + 1, j + 1];
  }
  diff.run(x, ka.ids.length, y, kb.ids.length, anchored);
  return matches;
}

/** Edits a minimal alignment may take before the anchored one is used instead. */
const exactEditBudget = 2048;
/** Past this many rounds (or the square root of the size), a search splits where it has got to. */
const costLimitFloor = 256;

/**
 * The lines that occur exactly once in `a` and once in `b`, as [index in a, index in b] pairs,
 * thinned to the longest run in the same order on both sides (patience sorting).
 */
function uniqueAnchors(a: Int32Array, b: Int32Array, idCount: number): [number, number][] {
  const countA = new Int32Array(idCount);
  const countB = new Int32Array(idCount);
  const whereB = new Int32Array(idCount);
  for (const id of a) countA[id]!++;
  for (let j = 0; j < b.length; j++) {
    countB[b[j]!]!++;
    whereB[b[j]!] = j;
  }
  const pairs: [number, number][] = [];
  for (let i = 0; i < a.length; i++) if (countA[a[i]!] === 1 && countB[a[i]!] === 1) pairs.push([i, whereB[a[i]!]!]);
  // Longest increasing subsequence of the b indices, in O(n log n).
  const tails: number[] = [];
  const previous = new Int32Array(pairs.length).fill(-1);
  for (let p = 0; p < pairs.length; p++) {
    const j = pairs[p]![1];
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]!]![1] < j) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[p] = tails[lo - 1]!;
    tails[lo] = p;
  }
  const out: [number, number][] = [];
  for (let p = tails.length ? tails[tails.length - 1]! : -1; p >= 0; p = previous[p]!) out.push(pairs[p]!);
  return out.reverse();
}

interface SearchBounds {
  /** Edits past which the search gives up. */
  maxD: number;
  /** Rounds after which a search splits where it has got to (Infinity: always minimal). */
  costFloor: number;
}

/**
 * Myers' diff in linear space: find a point on a shortest edit path by searching from both ends
 * at once (the middle snake), split there, and recurse; common prefixes and suffixes of each part
 * are its matches. Two frontier arrays, reused, are all the memory it takes.
 */
class LinearDiff {
  private readonly forward: Int32Array;
  private readonly backward: Int32Array;

  constructor(
    private readonly a: Int32Array,
    private readonly b: Int32Array,
    private readonly match: (x: number, y: number) => void,
  ) {
    const size = 2 * (a.length + b.length) + 4;
    this.forward = new Int32Array(size);
    this.backward = new Int32Array(size);
  }

  /**
   * Aligns a[a0,a1) × b[b0,b1); false when it needs more than `bounds.maxD` edits (some matches may
   * have been reported by then).
   */
  run(a0: number, a1: number, b0: number, b1: number, bounds: SearchBounds): boolean {
    const pending: [number, number, number, number][] = [];
    if (this.split(a0, a1, b0, b1, bounds, pending) === 'too-far') return false;
    // Parts of a whole within the bound are within it too. An explicit stack: a pathological input
    // cannot exhaust the call stack.
    const parts = { ...bounds, maxD: Infinity };
    while (pending.length > 0) {
      const [c0, c1, d0, d1] = pending.pop()!;
      this.split(c0, c1, d0, d1, parts, pending);
    }
    return true;
  }

  /** Reports the common prefix and suffix of a[a0,a1) × b[b0,b1) and queues the two halves of the rest. */
  private split(a0: number, a1: number, b0: number, b1: number, bounds: SearchBounds, pending: [number, number, number, number][]) {
    const { a, b } = this;
    while (a0 < a1 && b0 < b1 && a[a0] === b[b0]) this.match(a0++, b0++);
    while (a1 > a0 && b1 > b0 && a[a1 - 1] === b[b1 - 1]) this.match(--a1, --b1);
    if (a0 === a1 || b0 === b1) return 'done';
    const at = this.middle(a0, a1, b0, b1, bounds);
    if (at === null) return 'too-far';
    if (at === 'disjoint') return 'done';
    pending.push([a0, at[0], b0, at[1]], [at[0], a1, at[1], b1]);
    return 'done';
  }

  /**
   * A point (x, y) on a shortest edit path of a[a0,a1) × b[b0,b1), where the forward and backward
   * searches meet; 'disjoint' when nothing matches; null past `maxD` edits.
   */
  private middle(a0: number, a1: number, b0: number, b1: number, { maxD, costFloor }: SearchBounds): [number, number] | 'disjoint' | null {
    const { a, b, forward: v1, backward: v2 } = this;
    const n = a1 - a0;
    const m = b1 - b0;
    const maxHalf = Math.ceil((n + m) / 2);
    const offset = maxHalf + 1;
    const length = 2 * maxHalf + 2;
    v1.fill(-1, 0, length + 1);
    v2.fill(-1, 0, length + 1);
    v1[offset + 1] = 0;
    v2[offset + 1] = 0;
    const delta = n - m;
    const front = (delta & 1) !== 0;
    // xdiff's limit: the square root of the problem's size, at least the floor.
    const costLimit = Math.max(costFloor, Math.ceil(Math.sqrt(n + m)));
    let k1start = 0;
    let k1end = 0;
    let k2start = 0;
    let k2end = 0;
    for (let d = 0; d < maxHalf; d++) {
      if (2 * d > maxD) return null;
      for (let k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
        const i1 = offset + k1;
        let x1 = k1 === -d || (k1 !== d && v1[i1 - 1]! < v1[i1 + 1]!) ? v1[i1 + 1]! : v1[i1 - 1]! + 1;
        let y1 = x1 - k1;
        while (x1 < n && y1 < m && a[a0 + x1] === b[b0 + y1]) {
          x1++;
          y1++;
        }
        v1[i1] = x1;
        if (x1 > n) k1end += 2;
        else if (y1 > m) k1start += 2;
        else if (front) {
          const i2 = offset + delta - k1;
          if (i2 >= 0 && i2 < length && v2[i2] !== -1 && x1 >= n - v2[i2]!) return [a0 + x1, b0 + y1];
        }
      }
      for (let k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
        const i2 = offset + k2;
        let x2 = k2 === -d || (k2 !== d && v2[i2 - 1]! < v2[i2 + 1]!) ? v2[i2 + 1]! : v2[i2 - 1]! + 1;
        let y2 = x2 - k2;
        while (x2 < n && y2 < m && a[a1 - x2 - 1] === b[b1 - y2 - 1]) {
          x2++;
          y2++;
        }
        v2[i2] = x2;
        if (x2 > n) k2end += 2;
        else if (y2 > m) k2start += 2;
        else if (!front) {
          const i1 = offset + delta - k2;
          if (i1 >= 0 && i1 < length && v1[i1] !== -1) {
            const x1 = v1[i1]!;
            const y1 = offset + x1 - i1;
            if (x1 >= n - x2) return [a0 + x1, b0 + y1];
          }
        }
      }
      if (d >= costLimit) {
        // As git's xdiff does past its cost limit: split at the furthest point either search has
        // reached. The result stays a correct alignment (only equal lines are matched), though no
        // longer a minimal one, and a large, scattered change costs O((N+M)·limit) instead of O((N+M)·D).
        let best: [number, number] = [a0, b0];
        let score = -1;
        for (let k = -d + k1start; k <= d - k1end; k += 2) {
          const x = v1[offset + k]!;
          if (x >= 0 && x <= n && x - k <= m && x - k >= 0 && 2 * x - k > score) [score, best] = [2 * x - k, [a0 + x, b0 + x - k]];
        }
        for (let k = -d + k2start; k <= d - k2end; k += 2) {
          const x = v2[offset + k]!;
          if (x >= 0 && x <= n && x - k <= m && x - k >= 0 && 2 * x - k > score) [score, best] = [2 * x - k, [a1 - x, b1 - (x - k)]];
        }
        if (score > 0 && score < n + m) return best;
      }
    }
    return 'disjoint';
  }
}

/** Maps texts rather than line arrays. */
export function mapTexts(from: string, to: string): LineMap {
  return mapLines(splitLines(from), splitLines(to));
}
