/**
 * A blame started before the repository is opened, for the command line, where a file is most
 * often exactly what HEAD has. Then the blame of HEAD's version is the blame of the working file,
 * and git's start-up questions (where is the top, what does the configuration name) no longer run
 * before it: on a short file they cost as much as the blame.
 *
 * Started before the configuration is listed, it reads committed objects only (see
 * GitRunner.runUnlisted). Its answer is taken only when the working file's bytes hash to the blob
 * HEAD has for the path, so no filter or line-ending conversion could have made git see other
 * text; otherwise the file is blamed as usual. The answer is the same either way.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseBlamePorcelain, type BlameResult } from './blamePorcelain';
import { GitRunner } from './gitRunner';
import type { Repository } from './repository';

export interface CommittedBlame {
  /** The blame of the working file: HEAD's when the file is HEAD's, else a blame of the file as it is. */
  blame(repo: Repository, path: string): Promise<BlameResult>;
}

/** Git's object id of a blob with these bytes (SHA-1 or SHA-256, as long as `like`). */
function blobId(bytes: Buffer, like: string): string {
  return createHash(like.length === 64 ? 'sha256' : 'sha1')
    .update(`blob ${bytes.length}\0`)
    .update(bytes)
    .digest('hex');
}

/**
 * Starts `git blame HEAD` of `target` (a path as typed, relative to `cwd`) and asks which blob HEAD
 * has there, both at once and before anything else.
 */
export function startCommittedBlame(cwd: string, target: string, options: { detectMoves?: boolean } = {}): CommittedBlame {
  const runner = new GitRunner(cwd);
  const abs = isAbsolute(target) ? target : resolve(cwd, target);
  const fromCwd = relative(cwd, abs).split(sep).join('/');
  const moves = options.detectMoves ? ['-M', '-C'] : [];
  const blamed = runner.runUnlisted(['blame', '--porcelain', '--no-textconv', ...moves, 'HEAD', '--', abs]).then(parseBlamePorcelain);
  const stored = runner.runUnlisted(['rev-parse', '--verify', '--quiet', `HEAD:./${fromCwd}`]).then((out) => out.trim());
  // Whether the working file is HEAD's is settled while the blame still runs.
  const unchanged = Promise.all([stored, readFile(abs)]).then(([blob, bytes]) => blob !== '' && blobId(bytes, blob) === blob);
  // Each may fail (an untracked file, an unborn branch, a path outside the repository): then the
  // usual blame runs and says why.
  for (const p of [blamed, unchanged]) p.catch(() => undefined);

  return {
    async blame(repo, path) {
      const usual = () => repo.blame(path, undefined, options);
      const settled = await Promise.all([blamed, unchanged]).catch(() => null);
      return settled?.[1] ? settled[0] : usual();
    },
  };
}
