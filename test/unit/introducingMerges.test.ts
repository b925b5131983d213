/**
 * Which main-line merge brought a commit in: exact for commits on the merged branch's own line,
 * silent (so the forge is asked) for commits reached through a nested merge, on the main line
 * itself, or beyond what was listed.
 */
import assert from 'node:assert/strict';
import { mergesIntroducing, parseParents } from '../../src/core/git/introducingMerges';

/** A graph from lines "commit parent…", newest first as rev-list prints them. */
const graph = (...lines: string[]) => parseParents(lines.join('\n'));
const all = (g: Map<string, string[]>) => new Set(g.keys());

describe('the merge that brought a commit in', () => {
  it("maps a merged branch's own commits to its merge, and nothing on the main line", () => {
    // a - b - M2 - c - M1 (HEAD); M1 merges x1 - x2 (from b), M2 merges y1 (from a)
    const g = graph('M1 c x2', 'c M2', 'x2 x1', 'x1 b', 'M2 b y1', 'y1 a', 'b a', 'a');
    const found = mergesIntroducing(g, 'M1', all(g));
    assert.deepEqual(Object.fromEntries(found), { x2: 'M1', x1: 'M1', y1: 'M2' });
  });

  it('leaves out commits that came through a branch merged into the branch', () => {
    // The feature branch f1 - fm - f2 merged s1 (a sub-branch) at fm; main merges f2 at M.
    const g = graph('M a f2', 'f2 fm', 'fm f1 s1', 's1 a', 'f1 a', 'a');
    const found = mergesIntroducing(g, 'M', all(g));
    assert.deepEqual(Object.fromEntries(found), { f2: 'M', fm: 'M', f1: 'M' });
    assert.equal(found.has('s1'), false, 's1 may belong to a merge request of its own');
  });

  it('gives a branch merged twice each merge its own commits', () => {
    // b1 - b2 merged at M1; the branch goes on with b3 (on b2), merged again at M2.
    const g = graph('M2 M1 b3', 'b3 b2', 'M1 a b2', 'b2 b1', 'b1 a', 'a');
    const found = mergesIntroducing(g, 'M2', all(g));
    assert.deepEqual(Object.fromEntries(found), { b1: 'M1', b2: 'M1', b3: 'M2' });
  });

  it('takes every branch of an octopus merge, and only wanted commits', () => {
    const g = graph('M a p1 q1', 'p1 a', 'q1 a', 'a');
    assert.deepEqual(Object.fromEntries(mergesIntroducing(g, 'M', all(g))), { p1: 'M', q1: 'M' });
    assert.deepEqual(Object.fromEntries(mergesIntroducing(g, 'M', new Set(['q1']))), { q1: 'M' });
  });

  it('says nothing past the edge of the listing rather than guess', () => {
    // x1's parent and the main line's start are older than the listing: nothing maps wrongly.
    const g = graph('M b x2', 'x2 x1', 'x1 old1', 'b old2');
    const found = mergesIntroducing(g, 'M', all(g));
    assert.deepEqual(Object.fromEntries(found), { x2: 'M', x1: 'M' });
    assert.equal(mergesIntroducing(g, 'unknown', all(g)).size, 0, 'a HEAD outside the listing');
  });
});
