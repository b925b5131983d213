/**
 * Which merge on HEAD's first-parent line brought a commit in, when the commit was made on the
 * merged branch's own line (its first-parent chain back to where it left the main line). That is
 * the merge request's merge commit when the branch was merged through one, so the commit belongs
 * to that merge request without asking a forge about it (GitLab answers "which merge requests
 * contain this commit" one commit per request).
 *
 * A commit reached only through a branch merged into the branch (a nested merge) is left out: it
 * may belong to another merge request as well, which only the forge can say. So are commits on
 * the main line itself (pushed there, or fast-forwarded).
 */

/** Commit → its parents, as `git rev-list --parents` lists them. */
export type ParentMap = Map<string, string[]>;

export function parseParents(revList: string): ParentMap {
  const parents: ParentMap = new Map();
  for (const line of revList.split('\n')) {
    if (!line) continue;
    const [sha, ...rest] = line.split(' ');
    parents.set(sha!, rest);
  }
  return parents;
}

/**
 * For each wanted commit on a merged branch's own line, the main-line merge that brought it in.
 * Exact over the commits listed: the main line is walked from its oldest listed commit, and each
 * merge's other parents are walked down to what the main line already held; commits not listed
 * (older than the listing reaches) end a walk, so they can only leave a commit unanswered.
 */
export function mergesIntroducing(parents: ParentMap, head: string, wanted: Set<string>): Map<string, string> {
  const mainLine: string[] = [];
  for (let c: string | undefined = head; c !== undefined && parents.has(c); c = parents.get(c)![0]) mainLine.push(c);
  mainLine.reverse();
  const held = new Set<string>();
  const found = new Map<string, string>();
  for (const merge of mainLine) {
    for (const side of parents.get(merge)!.slice(1)) {
      // The branch's own line: first parents from the merged tip down to what is already held.
      const ownLine = new Set<string>();
      for (let c: string | undefined = side; c !== undefined && parents.has(c) && !held.has(c); c = parents.get(c)![0]) ownLine.add(c);
      // Everything the merge brings in, so that what later merges bring in is told apart exactly.
      const stack = [side];
      while (stack.length > 0) {
        const c = stack.pop()!;
        if (held.has(c) || !parents.has(c)) continue;
        held.add(c);
        if (wanted.has(c) && ownLine.has(c)) found.set(c, merge);
        stack.push(...parents.get(c)!);
      }
    }
    held.add(merge);
  }
  return found;
}
