/** Bad command-line input: reported as one line on stderr with exit code 2, never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function apiUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env.LINEAGE_API_URL ?? 'http://127.0.0.1:7420';
}
