/** Reading request bodies under a size limit, and parsing JSON with errors that name the position. */
import type { IncomingMessage } from 'node:http';
import { ProblemError, badRequest } from './problem';

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.destroy();
      throw tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): ProblemError {
  return new ProblemError(413, 'body-too-large', 'Request body too large', `the limit is ${limit} bytes; send large streams as several batches`);
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
