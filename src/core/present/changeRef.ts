/**
 * How a pull request is named where people read it: `#7` on GitHub, `!7` for a GitLab merge
 * request (its web URL says which), as each forge writes its own references.
 */
export function changeRef(pr: { number: number; url?: string | null }): string {
  return /\/-\/merge_requests\/\d+\/?$/.test(pr.url ?? '') ? `!${pr.number}` : `#${pr.number}`;
}
