/** The instance's base URL (no trailing slash, no /api/v4) from a web or API URL (CI_API_V4_URL). */
export function gitlabInstance(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api\/v4$/, '');
}
