/**
 * What a repository's configuration could make git run, switched off for every git process.
 *
 * Some keys name programs outright (core.fsmonitor, core.pager, gpg.program); those are fixed and
 * overridden on every call. Others live under a name the repository chooses (`diff.<driver>.textconv`,
 * `filter.<driver>.process`, `remote.<name>.uploadpack`), so the configuration git would read is
 * listed first and each such key found is overridden too. Overrides travel in GIT_CONFIG_COUNT /
 * GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n, which take any key (a driver name may hold `=` or spaces,
 * which `-c` cannot carry) and rank above every file. A git that ignores those variables (older
 * than 2.31) would run the programs, so the listing itself checks that they apply and git is not
 * run at all when they do not.
 */
import { execFile } from 'node:child_process';
import { dirname, isAbsolute, join } from 'node:path';
import { filesStamp } from '../util/fileStamps';

/** Keys that name a program (or switch one on) wherever a repository sets them. */
export const fixedOverrides: ReadonlyArray<readonly [string, string]> = [
  ['core.fsmonitor', 'false'],
  ['core.pager', 'cat'],
  ['core.hooksPath', '/dev/null'],
  ['core.sshCommand', 'false'],
  ['core.askPass', ''],
  ['core.editor', 'false'],
  ['core.gitProxy', ''],
  ['core.alternateRefsCommand', ''],
  ['sequence.editor', 'false'],
  ['diff.external', ''],
  ['gpg.program', 'false'],
  ['gpg.ssh.program', 'false'],
  ['gpg.x509.program', 'false'],
  ['gpg.ssh.defaultKeyCommand', ''],
  ['log.showSignature', 'false'],
  ['commit.gpgSign', 'false'],
  ['tag.gpgSign', 'false'],
  ['tag.forceSignAnnotated', 'false'],
  ['credential.helper', ''],
  // No transport at all (a partial clone would fetch a missing object on its own). A protocol's own
  // key outranks protocol.allow, so each of git's transports is closed by name too; this matters
  // because remote.<name>.uploadpack, the program such a fetch runs, keeps its first value and no
  // override can replace it.
  ['protocol.allow', 'never'],
  ['protocol.file.allow', 'never'],
  ['protocol.git.allow', 'never'],
  ['protocol.ssh.allow', 'never'],
  ['protocol.http.allow', 'never'],
  ['protocol.https.allow', 'never'],
  ['protocol.ext.allow', 'never'],
  ['uploadpack.packObjectsHook', ''],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  ['submodule.recurse', 'false'],
  ['blame.ignoreRevsFile', ''],
];

/**
 * Keys under a repository-chosen name, with the value that neutralises them. An empty textconv
 * makes git fail ("cannot run") rather than fall back, so a command that forgot `--no-textconv`
 * fails closed instead of running the repository's program.
 */
function neutralValue(key: string): string | undefined {
  const lower = key.toLowerCase();
  const dot = lower.lastIndexOf('.');
  const first = lower.indexOf('.');
  if (first === dot) return lower.startsWith('pager.') ? 'false' : undefined;
  const section = lower.slice(0, first);
  const name = lower.slice(dot + 1);
  switch (section) {
    case 'diff':
      return name === 'textconv' || name === 'command' ? '' : undefined;
    case 'filter':
      if (name === 'clean' || name === 'smudge' || name === 'process') return '';
      return name === 'required' ? 'false' : undefined;
    case 'merge':
      return name === 'driver' ? '' : undefined;
    case 'mergetool':
    case 'difftool':
      return name === 'cmd' || name === 'path' ? '' : undefined;
    case 'credential':
      return name === 'helper' ? '' : undefined;
    case 'protocol':
      // A remote helper's transport (protocol.<helper>.allow) the repository opened.
      return name === 'allow' ? 'never' : undefined;
    case 'remote':
      if (name === 'uploadpack') return 'git-upload-pack';
      if (name === 'receivepack') return 'git-receive-pack';
      return name === 'vcs' ? '' : undefined;
    case 'gpg':
      return name === 'program' ? 'false' : undefined;
    default:
      return undefined;
  }
}

export interface ConfigGuard {
  /** The environment variables that carry every override. */
  env: Record<string, string>;
  /** Filter drivers the configuration defines (each neutralised): files using one are not what git stores. */
  filterDrivers: Set<string>;
  /** remote.origin.url as `git config --get` gives it (the last value), read from the same listing. */
  originUrl: string | null;
  /** Whether core.attributesFile is set: then attributes may come from a file named there. */
  attributesFile: boolean;
}

/** Turns the overrides into GIT_CONFIG_COUNT variables. */
export function overrideEnv(overrides: Iterable<readonly [string, string]>): Record<string, string> {
  const env: Record<string, string> = {};
  let n = 0;
  for (const [key, value] of overrides) {
    env[`GIT_CONFIG_KEY_${n}`] = key;
    env[`GIT_CONFIG_VALUE_${n}`] = value;
    n++;
  }
  env.GIT_CONFIG_COUNT = String(n);
  return env;
}

/** Set with the overrides when listing: present in the listing exactly when they apply. */
export const guardProbeKey = 'lineage.overrides';

/** Reads `git config --list` output (`-z --show-origin`): origin, then key and value. */
export function parseConfigList(out: string): { origin: string; key: string; value: string }[] {
  const parts = out.split('\0');
  const entries: { origin: string; key: string; value: string }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const origin = parts[i]!;
    const body = parts[i + 1]!;
    const nl = body.indexOf('\n');
    entries.push({ origin, key: nl < 0 ? body : body.slice(0, nl), value: nl < 0 ? '' : body.slice(nl + 1) });
  }
  return entries;
}

export function guardFromConfig(entries: { key: string; value?: string }[]): ConfigGuard {
  const overrides = new Map<string, string>(fixedOverrides.map(([k, v]) => [k.toLowerCase(), v]));
  const keys = new Map<string, string>(fixedOverrides.map(([k]) => [k.toLowerCase(), k]));
  const filterDrivers = new Set<string>();
  let originUrl: string | null = null;
  let attributesFile = false;
  for (const { key, value: configured } of entries) {
    if (key.toLowerCase() === 'remote.origin.url') originUrl = configured?.trim() || null;
    if (key.toLowerCase() === 'core.attributesfile') attributesFile = true;
    const value = neutralValue(key);
    if (value === undefined) continue;
    overrides.set(key, value);
    keys.set(key, key);
    if (/^filter\./i.test(key)) {
      const driver = key.slice('filter.'.length, key.lastIndexOf('.'));
      filterDrivers.add(driver);
      overrides.set(`filter.${driver}.required`, 'false');
      keys.set(`filter.${driver}.required`, `filter.${driver}.required`);
    }
  }
  return { env: overrideEnv([...overrides].map(([k, v]) => [keys.get(k) ?? k, v] as const)), filterDrivers, originUrl, attributesFile };
}

interface Cached {
  files: string[];
  signature: string;
  guard: ConfigGuard;
}

/**
 * Listings kept, and under way, per folder. One per process, whichever bundle asks: the CLI's
 * blame starts the listing from its small first bundle (src/cli/blameStart.ts) and reads it from
 * the command's, each with its own copy of this module, so the maps live on a global under a
 * registered symbol rather than in the module.
 */
const shared = ((globalThis as { [key: symbol]: unknown })[Symbol.for('code-lineage.git-config-listings')] ??= {
  cache: new Map<string, Cached>(),
  inFlight: new Map<string, Promise<ConfigGuard>>(),
}) as { cache: Map<string, Cached>; inFlight: Map<string, Promise<ConfigGuard>> };
const cache = shared.cache;

/**
 * The files whose change means the configuration must be listed again: those it came from, the
 * HEAD an `includeIf "onbranch:"` depends on, and the files that would add to it by appearing:
 * every include's target (a checkout can bring one into the working tree), the user's global
 * files, the system file and a worktree's own. Without these a file created after the listing
 * could define a filter or diff driver under a new name that no override covers.
 */
function watchedFiles(cwd: string, entries: { origin: string; key: string; value: string }[], env: Record<string, string>): string[] {
  const files = new Set<string>();
  const home = env.HOME ?? '';
  for (const { origin, key, value } of entries) {
    if (!origin.startsWith('file:')) continue;
    const file = origin.slice(5);
    const abs = isAbsolute(file) ? file : join(cwd, file);
    files.add(abs);
    if (/(^|\/)config$/.test(abs)) {
      files.add(join(dirname(abs), 'HEAD'));
      files.add(join(dirname(abs), 'config.worktree'));
    }
    if (/^include(if\..*)?\.path$/i.test(key) && value) {
      const target = value.startsWith('~/') ? join(home, value.slice(2)) : isAbsolute(value) ? value : join(dirname(abs), value);
      files.add(target);
    }
  }
  if (home) files.add(join(home, '.gitconfig'));
  files.add(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'git', 'config'));
  files.add('/etc/gitconfig');
  return [...files].sort();
}

/**
 * The overrides for git run in `cwd`. Listing the configuration runs no program (only files are
 * read), and is redone when any file it came from changes.
 */
export function configGuard(cwd: string, env: Record<string, string>, timeoutMs: number, onSpawn: () => void): Promise<ConfigGuard> {
  const cached = cache.get(cwd);
  if (cached && cached.signature === filesStamp(cached.files)) return Promise.resolve(cached.guard);
  let listing = inFlight.get(cwd);
  if (!listing) {
    onSpawn();
    listing = listConfig(cwd, env, timeoutMs).finally(() => inFlight.delete(cwd));
    inFlight.set(cwd, listing);
  }
  return listing;
}

/** Listings under way, so a burst of calls on a cold cache starts one `git config`. */
const inFlight = shared.inFlight;

function listConfig(cwd: string, env: Record<string, string>, timeoutMs: number): Promise<ConfigGuard> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['config', '--list', '-z', '--show-origin'],
      { cwd, env: { ...env, ...overrideEnv([[guardProbeKey, 'on']]) }, encoding: 'utf8', maxBuffer: 64 << 20, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error) {
          const message = (stderr || error.message).trim().split('\n')[0] ?? error.message;
          reject(new Error(message));
          return;
        }
        const entries = parseConfigList(stdout);
        if (!entries.some((e) => e.key === guardProbeKey && e.value === 'on')) {
          reject(
            new Error(
              'this git ignores GIT_CONFIG_COUNT (git 2.31 or newer is needed), so the programs a repository names cannot be switched off; git was not run',
            ),
          );
          return;
        }
        const guard = guardFromConfig(entries);
        const files = watchedFiles(cwd, entries, env);
        cache.set(cwd, { files, signature: filesStamp(files), guard });
        resolve(guard);
      },
    );
  });
}
