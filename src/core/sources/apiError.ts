/** Typed failures of the traceability API client; callers branch on `reason`, never on messages. */
export type ApiErrorReason =
  'unreachable' | 'timeout' | 'unauthorized' | 'forbidden' | 'notFound' | 'rejected' | 'server' | 'invalidResponse';

export class ApiError extends Error {
  constructor(
    readonly reason: ApiErrorReason,
    message: string,
    readonly status?: number,
    /** For invalidResponse: the JSON path of the first offending field. */
    readonly field?: string,
    readonly problem?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static is(e: unknown, reason?: ApiErrorReason): e is ApiError {
    return e instanceof ApiError && (reason === undefined || e.reason === reason);
  }
}
