/**
 * V8's code cache for the command bundles (dist/cli/*.js and their vendor files). Compiling a
 * command's 300 KB of JavaScript costs a short blame as much as a fifth of its time, every run;
 * V8 can instead load the code it compiled the last time. Node 22 does this itself
 * (`module.enableCompileCache`); the Node 20 this CLI supports does not, so the entry does it for its
 * own bundles, and only for them.
 *
 * A cache file is code that will run, so it is taken only from where nobody else could have put it:
 * a folder of the user's own cache directory (`$XDG_CACHE_HOME/code-lineage/v8`, or
 * `~/.cache/…`; `LINEAGE_COMPILE_CACHE` names another, `off` turns it off), owned by this user and
 * writable by nobody else, in a file named by the SHA-256 of the bundle's text, Node's version and
 * the architecture. V8 rejects data made by another V8 or with other flags; a file it rejects, or
 * any file that cannot be read, is compiled as usual and written again when the command ends.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { Script } from 'node:vm';

interface Compiling {
  _compile: (this: Compiling, content: string, filename: string) => unknown;
  exports: unknown;
}

/** The cache folder for this user, or null when turned off. */
export function compileCacheDir(env: NodeJS.ProcessEnv): string | null {
  const chosen = env.LINEAGE_COMPILE_CACHE;
  if (chosen === 'off' || chosen === '0') return null;
  if (chosen) return chosen;
  const base = env.XDG_CACHE_HOME || (process.platform === 'win32' ? env.LOCALAPPDATA : undefined) || join(homedir(), '.cache');
  return join(base, 'code-lineage', 'v8');
}

/** Only this user may have written it: owned by us, writable by nobody else (POSIX; Windows has no such bits). */
function ownOnly(stat: { uid: number; mode: number }): boolean {
  if (typeof process.getuid !== 'function') return true;
  return stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
}

export function readCache(dir: string, file: string): Buffer | undefined {
  try {
    if (!ownOnly(statSync(dir))) return undefined;
    const fd = openSync(file, 'r');
    try {
      return ownOnly(fstatSync(fd)) ? readFileSync(fd) : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Makes `dir` and its missing parents one at a time. Node's own `mkdirSync(…, { recursive: true })`
 * never returns on some paths (under /proc, where mkdir says ENOENT for a parent that exists).
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.push(d);
  for (const d of missing.reverse()) mkdirSync(d, { mode: 0o700 });
}

/**
 * Written whole under another name and renamed, so a run reading it at the same time sees all or
 * nothing. The same bundle's files from other builds (an upgrade leaves them behind) go, so the
 * folder holds one file per bundle.
 */
function writeCache(dir: string, file: string, data: Buffer): void {
  try {
    makeDirs(dir);
    if (!ownOnly(statSync(dir))) return;
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, data, { mode: 0o600 });
    renameSync(partial, file);
    const bundle = `${basename(file).replace(/-[0-9a-f]+\.bin$/, '')}-`;
    for (const name of readdirSync(dir))
      if (name.startsWith(bundle) && /^[0-9a-f]+\.bin$/.test(name.slice(bundle.length)) && name !== basename(file))
        unlinkSync(join(dir, name));
  } catch {
    // A read-only or full disk costs the next run its compile, nothing more.
  }
}

/**
 * Compiles every module loaded from `bundleDir` through the cache in `cacheDir`, and writes the
 * code of those compiled afresh when the process exits (then it holds the functions this run
 * compiled lazily too, not only the top level).
 */
export function enableCompileCache(bundleDir: string, cacheDir: string): void {
  const prefix = bundleDir.endsWith(sep) ? bundleDir : bundleDir + sep;
  const proto = Module.prototype as unknown as Compiling;
  const compile = proto._compile;
  const fresh: { script: Script; file: string }[] = [];
  proto._compile = function (this: Compiling, content: string, filename: string) {
    if (!filename.startsWith(prefix)) return compile.call(this, content, filename);
    const key = createHash('sha256').update(content).update(`\0${process.version}\0${process.arch}`).digest('hex').slice(0, 32);
    const file = join(cacheDir, `${basename(filename, '.js')}-${key}.bin`);
    const cachedData = readCache(cacheDir, file);
    const script = new Script(Module.wrap(content), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected) fresh.push({ script, file });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    const require = Module.createRequire(filename);
    return wrapper.call(this.exports, this.exports, require, this, filename, dirname(filename));
  };
  process.once('exit', () => {
    for (const { script, file } of fresh) writeCache(cacheDir, file, script.createCachedData());
  });
}
