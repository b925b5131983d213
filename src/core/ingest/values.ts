/** Small, strict readers for untyped JSON from outside: they return null rather than guess. */
import { createHash } from 'node:crypto';
import { isRepoSlug } from '../model/repoSlug';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Json | null {
  return isObject(v) ? v : null;
}

export function str(v: unknown, max = 4096): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v.length === 0) return null;
  return v.length > max ? v.slice(0, max) : v;
}

export function int(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return null;
}

const shaPattern = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function sha(v: unknown): string | null {
  const s = typeof v === 'string' ? v.toLowerCase() : null;
  return s !== null && shaPattern.test(s) ? s : null;
}

export function iso(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) {
    // GitHub sends some times as Unix seconds (push payloads' repository.pushed_at).
    const ms = v < 1e12 ? v * 1000 : v;
    const d = new Date(ms);
    // Beyond what a Date holds: no time at all (factLimits refuses years a store cannot hold).
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  if (typeof v !== 'string' || v.length === 0) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

const digestPattern = /^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/** Normalises `sha256:…`, a bare 64-hex value, or a purl/image reference carrying `@sha256:…` (or `%3A`). */
export function digestFrom(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.toLowerCase().replace(/%3a/g, ':');
  if (digestPattern.test(s)) return s;
  if (/^[0-9a-f]{64}$/.test(s)) return `sha256:${s}`;
  const m = /(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})(?![0-9a-f])/.exec(s);
  return m ? (m[1] ?? null) : null;
}

/**
 * `owner/name` from a GitHub-style URL (`https://github.com/o/n(.git)`, `git+https://…@ref`), or a
 * slug as given (`owner/name`, or a project's path in nested groups, `group/subgroup/name`).
 */
export function repoFrom(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const slug = v.replace(/\.git$/, '');
  const parts = slug.split('/');
  // `github.com/o/n` is a host and a path without its scheme, not a group called github.com.
  if (isRepoSlug(slug) && !(parts.length > 2 && parts[0]!.includes('.'))) return slug;
  const m = /^(?:git\+)?(?:https?|ssh|git):\/\/(?:[^@/]+@)?[^/]+\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?(?:@.*|\/.*)?$/.exec(v);
  if (!m) return null;
  return `${m[1]}/${m[2]}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The key of a delivery known by its bytes alone (`<format>:sha256-<hex>`), and that hash for the chain. */
export function contentKey(format: string, raw: string): { key: string; rawSha256: string } {
  const rawSha256 = sha256Hex(raw);
  return { key: `${format}:sha256-${rawSha256}`, rawSha256 };
}

/** Reads a dotted path (`a.b.c`) from untyped JSON. */
export function at(v: unknown, path: string): unknown {
  let cur: unknown = v;
  for (const part of path.split('.')) {
    // A numeric step indexes an array ("invocations.0.endTimeUtc").
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = (cur as unknown[])[Number(part)];
    else if (isObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

const embeddedDigest = /sha256:[0-9a-f]{64}(?![0-9a-f])/g;

/**
 * The artifact digest a deployment's payload names, if it names exactly one (deploy workflows
 * commonly pass `{"digest": "sha256:…"}` or an `image@sha256:…` reference). Several different
 * digests name no single artifact: that stays unknown rather than guessed.
 */
export function payloadDigest(payload: unknown): string | null {
  let text: string;
  if (payload === null || payload === undefined) return null;
  if (typeof payload === 'string') text = payload;
  else {
    try {
      text = JSON.stringify(payload);
    } catch {
      return null;
    }
  }
  if (text.length > 65_536) text = text.slice(0, 65_536);
  const found = new Set((text.toLowerCase().replace(/%3a/g, ':').match(embeddedDigest) ?? []) as string[]);
  return found.size === 1 ? [...found][0]! : null;
}
