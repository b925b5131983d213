/** Reading request bodies under a size limit, and parsing JSON with errors that name the position. */
import type { IncomingMessage } from 'node:http';
import { ProblemError, badRequest } from './problem';

/**
 * The body, up to `limit` bytes whether its length is declared or it comes chunked. Past the limit
 * the rest is not read: the 413 goes out with `Connection: close` and the socket is closed after it.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): ProblemError {
  return new ProblemError(413, 'body-too-large', 'Request body too large', `the limit is ${limit} bytes; send large streams as several batches`, undefined, { connection: 'close' });
}

/** How deep JSON may nest at ingest: deeper than any real payload, shallow enough that nothing stored is too deep to read back. */
export const maxJsonDepth = 64;

/** Refuses JSON nested deeper than maxJsonDepth, in one pass that ignores brackets inside strings. */
function checkDepth(text: string, where: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > maxJsonDepth) throw badRequest(`${where} nests deeper than ${maxJsonDepth} levels`);
    } else if (c === 93 || c === 125) depth--;
  }
}

/** A path segment, %-decoded; a malformed escape is the client's error, not the service's. */
export function pathSegment(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`the ${name} in the path has a malformed %-escape`, [{ pointer: `path:${name}`, reason: 'malformed %-escape' }]);
  }
}

const jsonTypes = /^application\/([a-z0-9.+-]*\+)?json\b|^application\/(x-)?ndjson\b|^application\/jsonl\b|^application\/x-www-form-urlencoded\b|^text\/plain\b/i;

export function checkContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type && !jsonTypes.test(type)) {
    throw new ProblemError(415, 'unsupported-media-type', 'Unsupported media type', `expected JSON (application/json), got ${type}`);
  }
}

export function parseJson(text: string): unknown {
  if (text.trim() === '') throw badRequest('the request body is empty; expected JSON');
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
