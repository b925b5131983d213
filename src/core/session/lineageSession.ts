/**
 * The engine's front door. The editor and every CLI command ask one session for lineage, approvals
 * and the source in use; the session owns what must be the same everywhere:
 *
 * - which source answers (the service, GitHub or deploy tags) and why, with the clients kept
 *   across files (sourceChoice);
 * - one git blame per buffer text, and one lineage answer per file and text, both bounded and
 *   never keeping a failure;
 * - the one fall-back rule: a source that fails leaves git's answer with a notice (sourceFailure);
 * - approvals as `lineage check` computes them, from the base's policy, with typed evidence.
 *
 * It knows nothing of where settings and secrets live: the caller passes the configuration and
 * asks for tokens through `credentials`, only when a source needs one.
 */
import type { BlameResult } from '../git/blamePorcelain';
import type { Repository } from '../git/repository';
import { commitSignature } from '../git/signatures';
import { bufferHash, fileLineage } from '../lineage/fileLineage';
import type { FileLineage } from '../lineage/lineLineage';
import type { Deployment, Finding } from '../model/domain';
import type { CheckResult } from '../policy/checkBranch';
import { gatherTimeline, lineageOf } from '../picture/timelineData';
import { buildTimeline, type TimelineInput, type TimelineModel } from '../picture/timelineModel';
import type { EnvironmentPolicy } from '../present/environments';
import type { CommitLineage } from '../model/api';
import type { Policy } from '../policy/policy';
import type { ApiClient } from '../sources/apiClient';
import type { GitLabToken } from '../sources/gitlab/gitlabClient';
import { answersFor } from '../sources/lineageSource';
import { chooseSource, SourceChoiceError, SourcePool, type ChosenSource, type SourceSetting } from '../sources/sourceChoice';
import type { ApprovalState } from './approvalState';
import { BoundedCache } from '../util/boundedCache';
import { sourceFailure, type SourceFailure } from './sourceFailure';

export interface SessionConfig {
  source: SourceSetting;
  /** The traceability service's URL; null or empty when there is none. */
  apiUrl: string | null;
  /** GitHub's API base URL; github.com by default. */
  githubUrl: string | null;
  /** The GitLab instance; gitlab.com by default. */
  gitlabUrl?: string | null;
  /** Credit moved and copied lines to where they came from (git blame -M -C). */
  detectMoves: boolean;
}

export interface SessionCredentials {
  /** The service's read token, if any. */
  apiToken(): Promise<string | null>;
  /** A GitHub token, asked for only when GitHub would be the source. */
  githubToken(): Promise<string | null>;
  /** How to get a GitHub token where the session runs ("sign in", "set GITHUB_TOKEN"). */
  githubTokenHelp: string;
  /** A GitLab token, asked for only when GitLab would be the source. */
  gitlabToken?(): Promise<GitLabToken | null>;
  gitlabTokenHelp?: string;
}

export interface LineageRequest {
  repo: Repository;
  /** Repository-relative path. */
  path: string;
  slug: string | null;
  /** The buffer's text when it differs from the file on disk. */
  contents?: string;
  /** The text the answer is for (the editor's buffer): the answer is cached under it. Without it nothing is cached. */
  text?: string;
  /** False: git alone, which needs no network (the editor's first paint). */
  withSource?: boolean;
  /** Overrides the session's setting for this request (`lineage blame --detect-moves`). */
  detectMoves?: boolean;
  /** The blame of the file when the caller has it under way (committedBlame.ts). */
  blame?: () => Promise<BlameResult>;
}

export interface LineageAnswer {
  file: FileLineage;
  /** Why part of the answer is missing (a source that failed, or could not say something). */
  notice: string | null;
  /** The source's failure when the answer fell back to git. */
  failure: SourceFailure | null;
  /** The GitHub host a sign-in would make the source, while git answers for want of a token. */
  signInTo: string | null;
}

export class LineageSession {
  private readonly pool = new SourcePool();
  // A file's answer and its blame keep every line's text and commit: bounded by bytes as well as by
  // files, so a few generated 100,000-line files cannot hold hundreds of megabytes in the editor.
  private readonly answers = new BoundedCache<LineageAnswer>(64, { maxBytes: 128 << 20, sizeOf: (a) => answerBytes(a) });
  private readonly blames = new BoundedCache<BlameResult>(64, { maxBytes: 128 << 20, sizeOf: (b) => blameBytes(b) });
  private readonly approvalStates = new BoundedCache<ApprovalState>(16);
  private readonly signatures = new BoundedCache<string>(512);

  constructor(
    private config: SessionConfig,
    private readonly credentials: SessionCredentials,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /** New settings or credentials: clients and every cached answer go. */
  async configure(config: SessionConfig): Promise<void> {
    this.config = config;
    this.invalidate();
    await this.pool.clear();
  }

  /** HEAD moved, new data arrived or trust changed: every cached answer goes, the clients stay. */
  invalidate(): void {
    this.answers.clear();
    this.blames.clear();
    this.approvalStates.clear();
    this.signatures.clear();
  }

  /** git's verdict on a commit's signature (%G?), with the user's keys and allowed signers. */
  signature(repo: Repository, sha: string): Promise<string> {
    return this.signatures.get(`${repo.root}\u0000${sha}`, () => commitSignature(repo, sha));
  }

  /** The source for this repository and why; throws SourceChoiceError when the setting cannot be met. */
  async source(repo: Repository): Promise<ChosenSource> {
    const apiUrl = this.config.apiUrl || null;
    return chooseSource(
      {
        setting: this.config.source,
        repo,
        apiUrl,
        apiToken: apiUrl ? await this.credentials.apiToken() : null,
        githubUrl: this.config.githubUrl,
        githubToken: () => this.credentials.githubToken(),
        githubTokenHelp: this.credentials.githubTokenHelp,
        gitlabUrl: this.config.gitlabUrl ?? null,
        gitlabToken: () => this.credentials.gitlabToken?.() ?? Promise.resolve(null),
        gitlabTokenHelp: this.credentials.gitlabTokenHelp,
      },
      this.pool,
    );
  }

  /** The service's client when one is configured (health, evidence), whatever the source setting. */
  async serviceClient(): Promise<ApiClient | null> {
    if (!this.config.apiUrl) return null;
    return await this.pool.api(this.config.apiUrl, await this.credentials.apiToken());
  }

  /** A file's lineage; a source that fails or cannot be chosen leaves git's answer and says why. */
  lineage(request: LineageRequest): Promise<LineageAnswer> {
    const withSource = request.withSource ?? true;
    const compute = () => this.computeLineage(request, withSource);
    if (request.text === undefined) return compute();
    const key = `${request.repo.root}\u0000${request.path}\u0000${withSource}\u0000${this.detectMoves(request)}\u0000${bufferHash(request.text)}`;
    return this.answers.get(key, compute);
  }

  private detectMoves(request: LineageRequest): boolean {
    return request.detectMoves ?? this.config.detectMoves;
  }

  private async computeLineage(request: LineageRequest, withSource: boolean): Promise<LineageAnswer> {
    const { repo, path, slug, contents } = request;
    const detectMoves = this.detectMoves(request);
    const blame = this.blameFor(request, detectMoves);
    const git = (notice: string | null, failure: SourceFailure | null, signInTo: string | null = null) =>
      fileLineage({ repo, path, contents, slug, source: null, detectMoves, blame: blame() }).then((file) => ({
        file,
        notice,
        failure,
        signInTo,
      }));
    if (!withSource) return git(null, null);
    // git blame runs while the source is chosen and asked.
    blame().catch(() => undefined);
    let chosen: ChosenSource | null = null;
    try {
      chosen = await this.source(repo);
      const file = await fileLineage({ repo, path, contents, slug, source: chosen.source, detectMoves, blame: blame() });
      // Findings the source could not list go to the status bar and the Findings view, not the notice.
      const notice = file.notices.find((n) => n !== file.findingsUnknown) ?? null;
      return { file, notice, failure: null, signInTo: chosen.kind === 'git' ? (chosen.signInTo ?? null) : null };
    } catch (e) {
      const failure = sourceFailure(e);
      if (!failure) throw e;
      // An unmet setting is the notice's to say; a source that failed is logged too.
      if (chosen) this.log(`${chosen.kind}: ${failure.message}`);
      return git(failure.notice, failure);
    }
  }

  /**
   * The Lineage Timeline of a file (or of selected lines of it): git's history always, the
   * source's deployments, pull requests and findings when it answers; a source that fails or
   * cannot be chosen leaves git's picture with a notice, as lineage does.
   */
  async timeline(request: {
    repo: Repository;
    path: string;
    slug: string | null;
    policy: EnvironmentPolicy;
    lines?: { start: number; end: number } | null;
    cursorCommit?: string | null;
  }): Promise<{ model: TimelineModel; input: TimelineInput; notices: string[]; source: string }> {
    let chosen: ChosenSource | null = null;
    const notices: string[] = [];
    try {
      chosen = await this.source(request.repo);
    } catch (e) {
      const failure = sourceFailure(e);
      if (!failure) throw e;
      notices.push(failure.notice);
    }
    const gathered = await gatherTimeline({ ...request, source: chosen?.source ?? null });
    for (const n of gathered.notices) this.log(`timeline: ${n}`);
    return {
      model: buildTimeline(gathered.input),
      input: gathered.input,
      notices: [...notices, ...gathered.notices],
      source: chosen?.kind ?? 'git',
    };
  }

  /** Pull requests and reviews of more commits, as the timeline is panned to them. */
  async commitLineage(repo: Repository, slug: string | null, shas: string[]): Promise<Map<string, CommitLineage>> {
    if (!slug || shas.length === 0) return new Map();
    const chosen = await this.source(repo);
    return lineageOf(chosen.source, slug, shas, repo);
  }

  /**
   * One blame per buffer text, shared by the git-only answer, the full one and its fall-back;
   * without a text to key on, one per computation.
   */
  private blameFor(request: LineageRequest, detectMoves: boolean): () => Promise<BlameResult> {
    const { repo, path, contents } = request;
    const run = request.blame ?? (() => repo.blame(path, contents, { detectMoves }));
    let blame: Promise<BlameResult> | undefined;
    return () => {
      blame ??=
        request.text === undefined
          ? run()
          : this.blames.get(`${repo.root}\u0000${path}\u0000${detectMoves}\u0000${bufferHash(request.text)}`, run);
      return blame;
    };
  }

  /**
   * The branch's approval chain as `lineage check` computes it (the base's policy, typed
   * evidence), cached per repository and head until the next invalidation.
   */
  approvals(repo: Repository, slug: string | null): Promise<ApprovalState> {
    return this.approvalStates.get(repo.root, async () => {
      let chosen: ChosenSource;
      try {
        chosen = await this.source(repo);
      } catch (e) {
        if (e instanceof SourceChoiceError) return { ok: false, reason: e.message };
        throw e;
      }
      if (chosen.kind === 'git' || !slug)
        return {
          ok: false,
          reason: 'approvals come from the traceability service, GitHub or GitLab: configure the service, or sign in to GitHub or GitLab',
        };
      try {
        // The policy engine (YAML, patterns, rules) loads when approvals are first asked for, not with every blame.
        const [{ checkBranch }, { defaultBase }, { approvalStateOf }] = await Promise.all([
          import('../policy/checkBranch'),
          import('../policy/branchGit'),
          import('./approvalState'),
        ]);
        const result = await checkBranch({
          repo,
          source: chosen.source,
          slug,
          base: await defaultBase(repo),
          head: 'HEAD',
          branchName: await repo.branch(),
        });
        return approvalStateOf(result);
      } catch (e) {
        this.log(`approvals: ${(e as Error).message}`);
        return { ok: false, reason: (e as Error).message };
      }
    });
  }

  /** `lineage check`: the branch against its base's policy; `source` null judges by git alone. */
  async check(options: {
    repo: Repository;
    source: ChosenSource | null;
    slug: string | null;
    base: string;
    head: string;
    branchName: string | null;
    policy?: Policy;
  }): Promise<CheckResult> {
    const { source, ...rest } = options;
    const { checkBranch } = await import('../policy/checkBranch');
    return checkBranch({ ...rest, source: source && source.kind !== 'git' ? source.source : null });
  }

  /** A deployment by id in an environment, from the source in use. */
  async deployment(
    repo: Repository,
    slug: string | null,
    environment: string,
    id: string,
  ): Promise<{ deployment: Deployment | null; source: ChosenSource['kind'] }> {
    const chosen = await this.source(repo);
    return { deployment: await chosen.source.deployment(slug ?? '', environment, id), source: chosen.kind };
  }

  /** A finding by id from the source in use (the service, or GitHub's code-scanning alerts). */
  async finding(repo: Repository, slug: string | null, id: string): Promise<Finding | null> {
    const chosen = await this.source(repo);
    if (!chosen.source.finding || !answersFor(chosen.source, slug)) return null;
    return chosen.source.finding(slug ?? '', id);
  }

  async close(): Promise<void> {
    this.invalidate();
    await this.pool.clear();
  }
}

/** About what a blame holds: each line's text and place, each commit's fields. */
function blameBytes(blame: BlameResult): number {
  let bytes = 0;
  for (const line of blame.lines) bytes += 96 + line.text.length * 2;
  return bytes + blame.commits.size * 512;
}

/** About what a file's answer holds: each line's text, commit and lineage. */
function answerBytes(answer: LineageAnswer): number {
  let bytes = 0;
  for (const line of answer.file.lines) bytes += 400 + line.text.length * 2;
  return bytes;
}
