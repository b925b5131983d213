import { z } from 'zod';
import { isRepoSlug } from './repoSlug';

export { isRepoSlug };

/** A full git object id: 40 hex (SHA-1) or 64 hex (SHA-256 repositories), lower-cased on input. */
export const CommitSha = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{40}$|^[0-9a-f]{64}$/, 'expected a full 40- or 64-digit hex commit SHA'));
export type CommitSha = z.infer<typeof CommitSha>;

/** An artifact digest in OCI form, `algorithm:hex` (sha256, sha384 or sha512). */
export const Digest = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(
    z.string().regex(/^sha256:[0-9a-f]{64}$|^sha384:[0-9a-f]{96}$|^sha512:[0-9a-f]{128}$/, 'expected a digest like sha256:<64 hex digits>'),
  );
export type Digest = z.infer<typeof Digest>;

export const RepoSlug = z.string().refine(isRepoSlug, 'expected a repository as owner/name (or group/subgroup/name)');
export type RepoSlug = z.infer<typeof RepoSlug>;

/** ISO 8601 timestamp; normalised to UTC with milliseconds on the way in. */
export const Timestamp = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 timestamp')
  .transform((s) => new Date(s).toISOString());
export type Timestamp = z.infer<typeof Timestamp>;

/** 1-based line number, as in every user-facing text and on the wire. */
export const LineNumber = z.number().int().min(1);

export const NonEmpty = z.string().min(1).max(4096);
