/**
 * Line maps between two versions of a text: which lines of `to` are unchanged lines of `from`,
 * and which line they were. This is how a buffer line is known to be live in an environment (it
 * maps to an unchanged line of the deployed revision) and how a finding reported against an old
 * revision lands on today's line. Lines are compared exactly, after normalising CRLF.
 *
 * Common prefix and suffix are matched first (the usual case: a few edits in a large file), and
 * only the middle goes through Myers' O((N+M)·D) diff, run on interned line ids in typed arrays
 * (a general-purpose diff library allocating per element was ten times slower here). The diff is
 * bounded: a middle that needs more than `maxEditLength` edits is treated as entirely changed
 * rather than taking quadratic time.
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
    const ids = new Map<string, number>();
    const intern = (lines: readonly string[], lo: number, hi: number) => {
      const out = new Int32Array(hi - lo);
      for (let i = lo; i < hi; i++) {
        let id = ids.get(lines[i]!);
        if (id === undefined) ids.set(lines[i]!, (id = ids.size));
        out[i - lo] = id;
      }
      return out;
    };
    const pairs = myersMatches(intern(from, start, endFrom), intern(to, start, endTo), maxEditLength);
    if (pairs) for (let p = 0; p < pairs.length; p += 2) link(start + pairs[p]!, start + pairs[p + 1]!);
  }
  return { toFrom, fromTo };
}

/**
 * Myers' greedy shortest edit script (Myers 1986, "An O(ND) difference algorithm"), keeping each
 * round's frontier for the backtrack. Returns the matched pairs as a flat [a0, b0, a1, b1, …]
 * list, or null when more than `maxD` edits are needed.
 */
function myersMatches(a: Int32Array, b: Int32Array, maxD: number): number[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, d);
    }
  }
  return null;
}

function backtrack(trace: Int32Array[], a: Int32Array, b: Int32Array, dEnd: number): number[] {
  const pairs: number[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d >= 0; d--) {
    const frontier = trace[d]!;
    // frontier holds v[k] for k = -d-1 … d+1 at index k + d + 1
    const at = (k: number) => frontier[k + d + 1]!;
    const k = x - y;
    let prevK: number;
    if (d === 0) prevK = 0;
    else prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = prevX - prevK;
    const startX = d === 0 ? 0 : prevK === k + 1 ? prevX : prevX + 1;
    const startY = startX - k;
    while (x > startX && y > startY) {
      x--;
      y--;
      pairs.push(x, y);
    }
    x = prevX;
    y = prevY;
  }
  // pairs were collected backwards as (x, y); reverse pair order
  const out: number[] = [];
  for (let p = pairs.length - 2; p >= 0; p -= 2) out.push(pairs[p]!, pairs[p + 1]!);
  return out;
}

/** Maps texts rather than line arrays. */
export function mapTexts(from: string, to: string): LineMap {
  return mapLines(splitLines(from), splitLines(to));
}
