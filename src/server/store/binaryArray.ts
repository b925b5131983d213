/**
 * A `bytea[]` in PostgreSQL's binary array format, for a parameter node-postgres sends as it is
 * (a Buffer parameter goes in binary): given an array, node-postgres writes each element's bytes
 * as hexadecimal text on the service's thread, twice their size, and the server decodes that text
 * back while binding. Layout (`array_recv`): dimensions, whether any element is NULL, the element
 * type, each dimension's length and lower bound, then each element as its length (-1 for NULL)
 * and its bytes.
 */
const byteaOid = 17;

export function binaryByteaArray(elements: readonly (Buffer | null)[]): Buffer {
  if (elements.length === 0) {
    const empty = Buffer.alloc(12);
    empty.writeInt32BE(byteaOid, 8);
    return empty;
  }
  const size = 20 + elements.reduce((n, e) => n + 4 + (e?.length ?? 0), 0);
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(elements.some((e) => e === null) ? 1 : 0, 4);
  out.writeInt32BE(byteaOid, 8);
  out.writeInt32BE(elements.length, 12);
  out.writeInt32BE(1, 16);
  let at = 20;
  for (const e of elements) {
    if (e === null) {
      out.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    out.writeInt32BE(e.length, at);
    e.copy(out, at + 4);
    at += 4 + e.length;
  }
  return out;
}
