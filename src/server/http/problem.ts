/** RFC 9457 problem details: every 4xx/5xx the service sends is one of these. */
import type { ServerResponse } from 'node:http';
import type { Problem } from '../../core/model/api';

export interface FieldIssue {
  pointer: string;
  reason: string;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }

  static is(e: unknown): e is ProblemError {
    return e instanceof ProblemError;
  }

  toJSON(): Problem {
    return {
      type: `urn:code-lineage:problem:${this.slug}`,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.errors && this.errors.length > 0 ? { errors: this.errors.slice(0, 100) } : {}),
    };
  }
}

export const invalid = (detail: string, errors?: FieldIssue[]) =>
  new ProblemError(422, 'invalid-event', 'The request body is not valid', detail, errors);

export const badRequest = (detail: string, errors?: FieldIssue[]) => new ProblemError(400, 'bad-request', 'Bad request', detail, errors);

export const notFound = (detail: string) => new ProblemError(404, 'not-found', 'Not found', detail);

export function sendProblem(res: ServerResponse, problem: ProblemError): void {
  const body = JSON.stringify(problem.toJSON());
  res.writeHead(problem.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    ...problem.headers,
  });
  const socket = res.socket;
  res.end(body);
  // A body refused half-read: the connection ends with the answer, and is cut if the client keeps
  // sending.
  if (problem.headers.connection === 'close' && socket) {
    res.once('finish', () => {
      socket.end();
      setTimeout(() => socket.destroy(), 2_000).unref();
    });
  }
}
