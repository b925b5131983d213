/** The flags that choose and reach a source, shared by every command that reads one. */
export const sourceFlags = {
  api: { type: 'string' },
  token: { type: 'string' },
  source: { type: 'string' },
  'github-url': { type: 'string' },
  'gitlab-url': { type: 'string' },
} as const;
