/**
 * Every git process this project starts goes through here, because a repository's own
 * `.git/config` and `.gitattributes` can name programs that git would run (core.fsmonitor,
 * textconv and filter drivers, core.pager, gpg.program, hooks). Each call overrides them, runs
 * with no prompt, no pager and the C locale, and is killed after a timeout. Revisions that come
 * from outside are validated as hex ids and passed after `--end-of-options`; paths after `--`.
 */
import { execFile } from 'node:child_process';
import { simpleGit, type SimpleGit } from 'simple-git';

/** Config that neutralises every program a repository could name. */
export const safeConfig = [
  'core.fsmonitor=false',
  'core.pager=cat',
  'core.hooksPath=/dev/null',
  'core.sshCommand=false',
  'core.askPass=',
  'diff.external=',
  'gpg.program=false',
  'gpg.ssh.program=false',
  'gpg.x509.program=false',
  'log.showSignature=false',
  'credential.helper=',
  'protocol.ext.allow=never',
];

export type GitErrorReason = 'notARepository' | 'timeout' | 'badRevision' | 'failed';

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
  };
}

export class GitRunner {
  /** Git processes started by this process: the editor's untrusted mode must keep it at zero. */
  static processesStarted = 0;

  private readonly git: SimpleGit;
  private readonly timeoutMs: number;

  constructor(
    readonly cwd: string,
    options: GitRunnerOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.git = simpleGit({
      baseDir: cwd,
      binary: 'git',
      maxConcurrentProcesses: 4,
      config: safeConfig,
      timeout: { block: options.timeoutMs ?? 30_000 },
      // simple-git refuses these keys whatever their value; here they carry the neutralising
      // values of safeConfig, and no argument from outside ever reaches `-c`.
      unsafe: {
        allowUnsafeFsMonitor: true,
        allowUnsafePager: true,
        allowUnsafeHooksPath: true,
        allowUnsafeSshCommand: true,
        allowUnsafeAskPass: true,
        allowUnsafeDiffExternal: true,
        allowUnsafeGpgProgram: true,
        allowUnsafeCredentialHelper: true,
        allowUnsafeProtocolOverride: true,
      },
    }).env(safeEnv());
  }

  /**
   * Runs git feeding `input` on standard input (simple-git cannot), with the same overrides,
   * environment and timeout. Used for `cat-file --batch`, which answers many questions in one
   * process.
   */
  runWithInput(args: string[], input: string): Promise<Buffer> {
    const config = safeConfig.flatMap((c) => ['-c', c]);
    GitRunner.processesStarted++;
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        [...config, ...args],
        { cwd: this.cwd, env: safeEnv(), encoding: 'buffer', maxBuffer: 1 << 30, timeout: this.timeoutMs },
        (error, stdout, stderr) => {
          if (error) {
            const message = stderr.toString().trim() || error.message;
            reject(new GitError(/not a git repository/i.test(message) ? 'notARepository' : error.killed ? 'timeout' : 'failed', message.split('\n')[0] ?? message));
          } else resolve(stdout);
        },
      );
      child.stdin?.end(input);
    });
  }

  /** Runs git with fixed, trusted arguments; anything from outside must already be checked. */
  async run(args: string[]): Promise<string> {
    GitRunner.processesStarted++;
    try {
      return await this.git.raw(args);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (/not a git repository/i.test(message)) throw new GitError('notARepository', `${this.cwd} is not inside a git repository`);
      if (/timed? ?out|block timeout/i.test(message)) throw new GitError('timeout', `git ${args[0]} took too long`);
      if (/unknown revision|bad revision|bad object|invalid object name|does not exist in/i.test(message)) {
        throw new GitError('badRevision', message.trim().split('\n')[0] ?? message);
      }
      throw new GitError('failed', message.trim().split('\n')[0] ?? message);
    }
  }
}
