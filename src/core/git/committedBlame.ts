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
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseBlamePorcelain, type BlameResult } from './blamePorcelain';
import { GitRunner } from './gitRunner';
import type { Repository } from './repository';

export interface CommittedBlame {
  /** The blame of the working file: HEAD's when the file is HEAD's, else a blame of the file as it is. */
  blame(repo: Repository, path: string): Promise<BlameResult>;
  /** Where the repository is, for Repository.open: asked in the same process as HEAD's blob (null: ask again). */
  located: Promise<string | null>;
}

/**
 * Git's object id of a blob with these bytes (SHA-1 or SHA-256, as long as `like`). Node's crypto
 * is loaded here, once git runs, not before: its load would delay the blame's start.
 */
async function blobId(bytes: Buffer, like: string): Promise<string> {
  const { createHash } = await import('node:crypto');
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
  // One process says where the repository is and which blob HEAD has at the path (a fourth line,
  // absent, with exit code 1, when HEAD has none): each git process costs the command's thread
  // a fork of itself.
  const asked = runner.runUnlisted(
    ['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir', '--verify', '--quiet', `HEAD:./${fromCwd}`],
    { exitCodes: [1] },
  );
  // The configuration listing every later git process waits for starts now too, not once the
  // command's code is loaded (the repository's runner finds it under way: gitConfigGuard.ts).
  runner.guard().catch(() => undefined);
  // A path git refuses (outside the repository) fails the whole question: the repository is then
  // located by its own process, which says what is wrong, if anything.
  const located = asked.then(
    (out) => out.split('\n').slice(0, 3).join('\n'),
    () => null,
  );
  const stored = asked.then((out) => out.split('\n')[3]?.trim() ?? '');
  // Whether the working file is HEAD's is settled while the blame still runs.
  const unchanged = Promise.all([stored, readFile(abs)]).then(async ([blob, bytes]) => blob !== '' && (await blobId(bytes, blob)) === blob);
  // Each may fail (an untracked file, an unborn branch, a path outside the repository): then the
  // usual blame runs and says why.
  for (const p of [blamed, unchanged, located]) p.catch(() => undefined);

  return {
    located,
    async blame(repo, path) {
      const usual = () => repo.blame(path, undefined, options);
      const settled = await Promise.all([blamed, unchanged]).catch(() => null);
      return settled?.[1] ? settled[0] : usual();
    },
  };
}
