/** Bad command-line input: reported as one line on stderr with exit code 2, never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * The service's URL from --api, else LINEAGE_API_URL: one rule for every command, with no default
 * address (a guessed one would send a team's events, or read answers, somewhere unintended).
 */
export function apiUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv, command: string): string {
  const url = flag || env.LINEAGE_API_URL;
  if (!url) throw new UsageError(`${command} needs the service: pass --api URL or set LINEAGE_API_URL`);
  return url;
}
