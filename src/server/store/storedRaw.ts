/**
 * How the store keeps an event's text, which the audit log needs verbatim: a large one deflated, in
 * `events.raw_z`; a small one as text, in `events.raw`. Kept as text, a GitHub delivery's 9–13 KB
 * cost the embedded store most of its time per event (copied into PGlite, compressed by
 * PostgreSQL, written to the log and the table) and 2.7 KB on disk; deflated before it reaches the
 * database it is about 1.8 KB, held in the row itself, and PostgreSQL leaves it as it is. Under
 * `deflateFrom` bytes PostgreSQL keeps text in the row uncompressed anyway, and deflating would
 * only cost time. Each row has exactly one of the two (a check in the schema); rows stored before
 * keep their text in `raw`.
 *
 * The event writer sends a commit's deflated texts as one `bytea[]` parameter of their bytes
 * (`storedFormOf`; eventWriter.ts), compressed on the thread that sends the statement unless
 * compressed ahead. node-postgres writes a Buffer in an array as hexadecimal, and so does the embedded
 * store's thread (storeThread.ts; PGlite's own serialiser builds it a byte at a time). Before,
 * each text was a parameter of its own in a VALUES list: as base64 text that the statement decoded,
 * then as binary; with a new statement text for each commit's size, PostgreSQL spent most of it
 * binding and planning (1,000 events: 55–80 ms of bind against 21–33 of execution).
 *
 * The intake journal's writer compresses a delivery's text ahead (`compressAhead`), on the service's
 * thread, and journals those bytes: under a sustained stream the store's thread is the busier one,
 * and the text then crosses to it at a fifth of its size.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { sha256Hex } from '../../core/ingest/values';

const deflateLevel = 3;
/** PostgreSQL moves a row's values out and compresses them from about 2 KB (TOAST_TUPLE_THRESHOLD). */
export const deflateFrom = 2000;

/** Whether a text is kept deflated (in `raw_z`) rather than as text (in `raw`). */
function keptDeflated(text: string): boolean {
  return text.length >= deflateFrom / 3 && Buffer.byteLength(text, 'utf8') >= deflateFrom;
}

/** The texts compressed ahead, as their deflated bytes, by the event that stands for them. */
const ahead = new WeakMap<object, Buffer>();

/**
 * The event as the store is to be handed it: when its text is kept deflated, the text compressed
 * now, and the event's `raw` given back only when read (inflated then). A delivery waits for the
 * store for up to a second after it is acknowledged; held all that time, its 10 KB text outlived
 * young-generation collections and was copied into the old generation (three times the bytes
 * promoted, under a stream of GitHub deliveries). The SHA-256 the audit chain needs is taken first,
 * so the store never asks for the text.
 */
export function compressAhead<T extends { raw: string; rawSha256?: string }>(event: T): T {
  if (!keptDeflated(event.raw)) return event;
  const bytes = deflateText(event.raw);
  const { raw: _, ...rest } = event;
  const light = { ...rest, rawSha256: event.rawSha256 ?? sha256Hex(event.raw) } as T;
  Object.defineProperty(light, 'raw', {
    enumerable: true,
    get: () => inflateRawSync(bytes).toString('utf8'),
  });
  ahead.set(light, bytes);
  return light;
}

/** The text `compressAhead` compressed for this event, as its deflated bytes; undefined for any other event. */
export function compressedAhead(event: object): Buffer | undefined {
  return ahead.get(event);
}

/** The values of `raw` and `raw_z` for an event: its text, or its deflated bytes (those `compressAhead` made, else made now). */
export function storedFormOf(event: { raw: string }): [string | null, Buffer | null] {
  const bytes = ahead.get(event);
  if (bytes !== undefined) return [null, bytes];
  return keptDeflated(event.raw) ? [null, deflateText(event.raw)] : [event.raw, null];
}

/**
 * A copy of its own size: zlib's answer is a view of its 16 KB output buffer, which an event held
 * for a second would keep alive with it, and which a message to the store's thread would copy whole.
 */
function deflateText(text: string): Buffer {
  return Buffer.from(new Uint8Array(deflateRawSync(Buffer.from(text, 'utf8'), { level: deflateLevel })).buffer);
}

/**
 * A stored event's text from its row: `raw`, or `raw_z` inflated. Null when the row has neither or
 * its bytes do not inflate (then the text is not what was stored, and the chain says so).
 */
export function storedText(row: { raw?: unknown; raw_z?: unknown }): string | null {
  if (typeof row.raw === 'string') return row.raw;
  if (!(row.raw_z instanceof Uint8Array)) return null;
  try {
    return inflateRawSync(row.raw_z).toString('utf8');
  } catch {
    return null;
  }
}
