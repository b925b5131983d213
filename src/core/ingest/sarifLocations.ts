/**
 * Where a SARIF 2.1.0 result points, read one way for ingest (stored findings) and for trace (a
 * pasted log): each physical location's artifact URI, resolved through `artifacts[index]` and the
 * chain of `originalUriBaseIds`, with its region.
 */
import { at, int, obj, str, type Json } from './values';

export interface SarifLocation {
  /** Repository-relative when the base chain is relative; the absolute path when a base is a `file:` root outside it. */
  path: string;
  line: number | null;
  endLine: number | null;
  column: number | null;
}

/** The locations of one result of `run`, at most `max`. */
export function sarifResultLocations(run: Json, result: Json, max = 100): SarifLocation[] {
  const bases = obj(run.originalUriBaseIds) ?? {};
  const artifacts = Array.isArray(run.artifacts) ? run.artifacts : [];
  const out: SarifLocation[] = [];
  for (const locValue of (Array.isArray(result.locations) ? result.locations : []).slice(0, max)) {
    const physical = obj(at(locValue, 'physicalLocation'));
    if (!physical) continue;
    const artifactLocation = obj(physical.artifactLocation) ?? {};
    const indexed = int(artifactLocation.index);
    const fromIndex = indexed !== null ? obj(at(artifacts[indexed], 'location')) : null;
    const path = resolveSarifUri(artifactLocation.uri ?? fromIndex?.uri, artifactLocation.uriBaseId ?? fromIndex?.uriBaseId, bases);
    if (!path) continue;
    const region = obj(physical.region) ?? {};
    out.push({ path, line: positive(region.startLine), endLine: positive(region.endLine), column: positive(region.startColumn) });
  }
  return out;
}

/**
 * Resolves an artifact URI against `originalUriBaseIds` into a repository-relative path when the
 * chain of bases is relative, or into the absolute path when a base is an absolute `file:` URI
 * outside the repository (the reverse lookup then matches it by suffix).
 */
export function resolveSarifUri(uriValue: unknown, baseId: unknown, bases: Json): string | null {
  let uri = str(uriValue);
  if (!uri) return null;
  let base = str(baseId);
  for (let depth = 0; base && depth < 10; depth++) {
    const entry = obj(bases[base]);
    const baseUri = entry ? str(entry.uri) : null;
    if (!entry || !baseUri) break;
    if (/^[a-z]+:/i.test(baseUri)) break; // absolute root: the path so far is relative to it
    uri = joinUri(baseUri, uri);
    base = str(entry.uriBaseId);
  }
  let path = uri.replace(/^file:\/\//i, '');
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the undecoded text; a malformed escape is not worth rejecting the log for
  }
  return path.replace(/^\.\//, '');
}

function joinUri(base: string, rel: string): string {
  if (/^[a-z]+:/i.test(rel) || rel.startsWith('/')) return rel;
  return base.endsWith('/') ? base + rel : `${base}/${rel}`;
}

function positive(v: unknown): number | null {
  const n = int(v);
  return n !== null && n >= 1 ? n : null;
}
