/**
 * Every git process this project starts goes through here, because a repository's own
 * `.git/config` and `.gitattributes` can name programs that git would run (core.fsmonitor,
 * textconv and filter drivers, core.pager, gpg.program, hooks, upload-pack). Each call overrides
 * them (gitConfigGuard), runs with an environment built from nothing (no inherited GIT_* variable,
 * no prompt, no pager, the C locale), and is killed after a timeout. Revisions that come from
 * outside are validated as hex ids and passed after `--end-of-options`; paths after `--`.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  configGuard,
  fixedOverrides,
  guardFromConfig,
  guardProbeKey,
  overrideEnv,
  parseConfigList,
  type ConfigGuard,
} from './gitConfigGuard';

export type GitErrorReason = 'notARepository' | 'timeout' | 'badRevision' | 'filtered' | 'unsafe' | 'failed';

export class GitError extends Error {
  constructor(
    readonly reason: GitErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'GitError';
  }

  static is(e: unknown, reason?: GitErrorReason): e is GitError {
    return e instanceof GitError && (reason === undefined || e.reason === reason);
  }
}

const hexRevision = /^[0-9a-f]{4,64}$/;

/** A revision from outside (the service, a finding) must be a hex object id, nothing else. */
export function checkRevision(rev: string): string {
  const r = rev.toLowerCase();
  if (!hexRevision.test(r)) throw new GitError('badRevision', `not a commit id: "${rev.slice(0, 80)}"`);
  return r;
}

export interface GitRunnerOptions {
  timeoutMs?: number;
}

/** The environment every git process gets: no prompts, no pager, the C locale. */
function safeEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    GIT_OPTIONAL_LOCKS: '0',
    LC_ALL: 'C',
    // A partial clone's missing objects are not fetched (git 2.45 and newer; older ones are held
    // by the protocol overrides).
    GIT_NO_LAZY_FETCH: '1',
    // The user's own settings, never a repository's: where the global config and the keyring live.
    ...pick(['XDG_CONFIG_HOME', 'GNUPGHOME']),
  };
}

function pick(names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value) out[name] = value;
  }
  return out;
}

/** How many git processes one runner has running at once; more wait their turn. */
const maxConcurrent = 4;

export class GitRunner {
  /** Git processes started by this process: the editor's untrusted mode must keep it at zero. */
  static processesStarted = 0;

  private readonly timeoutMs: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly cwd: string,
    options: GitRunnerOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * The overrides for this repository's configuration, or GitError 'unsafe' when they cannot be
   * applied: then nothing runs.
   */
  guard(): Promise<ConfigGuard> {
    return configGuard(this.cwd, safeEnv(), this.timeoutMs, () => GitRunner.processesStarted++).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      if (/ENOENT|no such file|not a directory/i.test(message))
        throw new GitError('notARepository', `${this.cwd} is not inside a git repository`);
      throw new GitError('unsafe', `git not run: ${message}`);
    });
  }

  /**
   * Runs git feeding `input` on standard input, with the same overrides, environment and timeout.
   * Used for `cat-file --batch`, which answers many questions in one process.
   */
  async runWithInput(args: string[], input: string): Promise<Buffer> {
    const { env } = await this.guard();
    return this.spawn(args, { ...safeEnv(), ...env }, input);
  }

  /** Runs git with fixed, trusted arguments; anything from outside must already be checked. */
  async run(args: string[]): Promise<string> {
    const { env } = await this.guard();
    return (await this.spawn(args, { ...safeEnv(), ...env })).toString('utf8');
  }

  /**
   * Questions asked before the configuration is listed, under the fixed overrides alone:
   * `rev-parse` (where is the top of the repository, which blob a path has at HEAD) reads no
   * index, attribute or driver, and a blame of a commit with textconv off reads committed objects
   * only (no working file, so no filter), so the per-repository names the listing adds play no
   * part in them. The overrides also go on the command line, which a git too old to honour
   * GIT_CONFIG_COUNT still applies: these run before the listing could refuse such a git.
   */
  runUnlisted(
    args: ['rev-parse', ...string[]] | ['blame', '--porcelain', '--no-textconv', ...string[]],
    options: { exitCodes?: number[] } = {},
  ): Promise<string> {
    const flags = fixedOverrides.flatMap(([key, value]) => ['-c', `${key}=${value}`]);
    return this.spawn(args, { ...safeEnv(), ...overrideEnv(fixedOverrides) }, undefined, flags, options.exitCodes).then((out) =>
      out.toString('utf8'),
    );
  }

  /**
   * `flags` go before the command (`-c key=value`); `args` are the command and its arguments.
   * An exit code in `exitCodes` other than 0 still answers with what git printed.
   */
  private async spawn(
    args: string[],
    env: Record<string, string>,
    input?: string,
    flags: string[] = [],
    exitCodes: number[] = [],
  ): Promise<Buffer> {
    if (this.running >= maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    GitRunner.processesStarted++;
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        const child = execFile(
          'git',
          [...flags, ...args],
          { cwd: this.cwd, env, encoding: 'buffer', maxBuffer: 1 << 30, timeout: this.timeoutMs },
          (error, stdout, stderr) => {
            if (error && !(typeof error.code === 'number' && exitCodes.includes(error.code)))
              reject(this.failure(args, stderr.toString().trim() || error.message, error.killed === true));
            else resolve(stdout);
          },
        );
        if (input !== undefined) child.stdin?.end(input);
      });
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private failure(args: string[], message: string, killed: boolean): GitError {
    const first = message.split('\n')[0] ?? message;
    if (/not a git repository/i.test(message)) return new GitError('notARepository', `${this.cwd} is not inside a git repository`);
    if (killed) return new GitError('timeout', `git ${args[0]} took too long`);
    if (/lazy fetching disabled|from promisor remote|transport '[^']*' not allowed/i.test(message))
      return new GitError(
        'failed',
        `git ${args[0]} needs objects this partial clone does not have, and Code Lineage fetches nothing (a fetch runs programs the repository's configuration can name): fetch them with git first, or use a full clone`,
      );
    if (/unknown revision|bad revision|bad object|invalid object name|does not exist in/i.test(message))
      return new GitError('badRevision', first);
    return new GitError('failed', first);
  }
}

/** Who a commit or tag made by the CLI itself is by, and when. */
export interface GitIdentity {
  name: string;
  email: string;
  date?: string;
}

function identityEnv(identity: GitIdentity | undefined): Record<string, string> {
  if (!identity) return {};
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
    ...(identity.date ? { GIT_AUTHOR_DATE: identity.date, GIT_COMMITTER_DATE: identity.date } : {}),
  };
}

/**
 * The synchronous door, for the demo that builds its own repository step by step: the same
 * overrides (listed afresh, since the repository changes under it), environment and timeout.
 */
export function runGitSync(cwd: string, args: string[], identity?: GitIdentity, timeoutMs = 30_000): string {
  const env = safeEnv();
  const listing = execFileSync('git', ['config', '--list', '-z', '--show-origin'], {
    cwd,
    env: { ...env, ...overrideEnv([[guardProbeKey, 'on']]) },
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entries = parseConfigList(listing);
  if (!entries.some((e) => e.key === guardProbeKey && e.value === 'on')) {
    throw new GitError('unsafe', 'git not run: this git ignores GIT_CONFIG_COUNT (git 2.31 or newer is needed)');
  }
  GitRunner.processesStarted += 2;
  return execFileSync('git', args, {
    cwd,
    env: { ...env, ...guardFromConfig(entries).env, ...identityEnv(identity) },
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}
