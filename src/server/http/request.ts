/** Reading request bodies under a size limit, and parsing JSON with errors that name the position. */
import type { IncomingMessage } from 'node:http';
import { ProblemError, badRequest } from './problem';

/**
 * The body, up to `limit` bytes whether its length is declared or it comes chunked. Past the limit
 * nothing more is kept: the 413 goes out with `Connection: close` and the connection ends after it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  // Listeners rather than `for await`: leaving an async iterator early destroys the socket, and
  // with it the 413 that should go back.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // The rest is read and dropped: a socket closed with unread data resets, and the reset
        // would take the 413 with it. The connection ends right after the answer (sendProblem).
        req.off('data', onData);
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function tooLarge(limit: number): ProblemError {
  return new ProblemError(
    413,
    'body-too-large',
    'Request body too large',
    `the limit is ${limit} bytes; send large streams as several batches`,
    undefined,
    { connection: 'close' },
  );
}

/** How deep JSON may nest at ingest: deeper than any real payload, shallow enough that nothing stored is too deep to read back. */
export const maxJsonDepth = 64;

/**
 * Refuses JSON nested deeper than maxJsonDepth, in one pass that ignores brackets inside strings.
 * A string is skipped to its closing quote with indexOf, which is many times faster than looking
 * at each of its characters, and most of a webhook payload is strings.
 */
export function checkDepth(text: string, where: string): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      // An unterminated string holds no more brackets; JSON.parse says what is wrong with it.
      if (end === -1) return;
      i = end;
    } else if (c === 91 || c === 123) {
      if (++depth > maxJsonDepth) throw badRequest(`${where} nests deeper than ${maxJsonDepth} levels`);
    } else if (c === 93 || c === 125) depth--;
  }
}

/** Whether the quote at `at` is escaped: an odd number of backslashes stands before it. */
function escaped(text: string, at: number): boolean {
  let n = 0;
  while (at - n - 1 >= 0 && text.charCodeAt(at - n - 1) === 92) n++;
  return n % 2 === 1;
}

/** A path segment, %-decoded; a malformed escape is the client's error, not the service's. */
export function pathSegment(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`the ${name} in the path has a malformed %-escape`, [{ pointer: `path:${name}`, reason: 'malformed %-escape' }]);
  }
}

const jsonTypes =
  /^application\/([a-z0-9.+-]*\+)?json\b|^application\/(x-)?ndjson\b|^application\/jsonl\b|^application\/x-www-form-urlencoded\b|^text\/plain\b/i;

export function checkContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type && !jsonTypes.test(type)) {
    throw new ProblemError(415, 'unsupported-media-type', 'Unsupported media type', `expected JSON (application/json), got ${type}`);
  }
}

export function parseJson(text: string): unknown {
  if (/^\s*$/.test(text)) throw badRequest('the request body is empty; expected JSON');
  checkDepth(text, 'the request body');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** JSON Lines: one document a line, blank lines ignored; errors name the line. */
export function parseJsonLines(text: string): unknown[] {
  const docs: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    checkDepth(line, `line ${i + 1}`);
    try {
      docs.push(JSON.parse(line));
    } catch (e) {
      throw badRequest(`line ${i + 1} is not valid JSON: ${(e as Error).message}`);
    }
  });
  return docs;
}

export function queryParam(url: URL, name: string, max = 1024): string | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (v.length > max) throw badRequest(`query parameter ${name} is longer than ${max} characters`);
  return v;
}
