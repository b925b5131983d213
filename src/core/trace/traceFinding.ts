/**
 * Reverse lookup: from a pasted finding to the responsible file and line of the working copy.
 *
 * 1. Revision: the finding's commit, else its artifact digest (the service knows which commit built
 *    it), else the given revision, else the one running in the environment (production by
 *    default), else the working copy. The answer says which was used.
 * 2. Path: code mappings, then the longest unique suffix over the files at that revision.
 * 3. Line: the line at that revision mapped onto the working copy with the engine's line map; a
 *    line deleted since is reported as such, with the commit that deleted it.
 * 4. Rank: the application's own frames first (innermost first), libraries below, each candidate
 *    with a confidence and a one-line reason.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkRevision } from '../git/gitRunner';
import type { Repository } from '../git/repository';
import { lineBecame, looseForm, type BecameLine } from '../linemap/lineBecame';
import { mapLines, splitLines } from '../linemap/lineMap';
import { answersFor, type ArtifactPlacement, type LineageSource } from '../sources/lineageSource';
import { readFindingInput, type FindingInput, type TraceLocation } from './findingInput';
import { findKubernetes } from './kubernetesLocator';
import { findTerraform } from './terraformLocator';
import { goModuleFile, goVersionRevision, looksLikeLibrary, PathIndex, type CodeMapping } from './pathResolver';
import { SourceMaps } from './sourceMaps';

export interface TraceCandidate {
  path: string;
  /** 1-based line in the working copy; null when the line was deleted since the revision. */
  line: number | null;
  confidence: number;
  /** The revision the finding's location refers to (null: the working copy). */
  revision: string | null;
  reason: string;
  /** The line as the finding knew it. */
  original: { file: string; line: number | null; function: string | null };
  library: boolean;
  deletedBy?: string | null;
  /**
   * The line at the revision is not in the working copy as it was, and `line` is the line it
   * became: how, and the commit that last changed it (null: changed in the working copy, not
   * committed).
   */
  changed?: LineChange;
}

export interface LineChange {
  how: BecameLine['how'];
  commit: string | null;
}

interface MappedLine {
  line: number | null;
  note: string;
  deletedBy?: string | null;
  changed?: LineChange;
  path?: string;
  /** What the source the trace quotes says of the line: it holds it, another line does, none does. */
  quotedSource?: 'matches' | 'found' | 'absent';
}

export interface TraceResult {
  input: { kind: FindingInput['kind']; locations: number; messages: string[] };
  /** The revision the finding is read at, how it was found (in words and as a link kind) and how sure that is. */
  revision: { sha: string | null; how: string; link: RevisionLink };
  /** The artifact the finding names: the commit it was built from and where it runs, as far as known. */
  artifact?: { digest: string; commit: string | null; runsIn: ArtifactPlacement[] };
  candidates: TraceCandidate[];
  tried: string[];
}

/** The input names a finding the service does not hold. */
export class UnknownFindingError extends Error {
  override name = 'UnknownFindingError';
}

/**
 * How the finding was tied to a revision: it named the commit (or --revision did), its artifact's
 * build or provenance did, a deployment running at the time it was seen (a time window, a guess
 * about what ran then), the deployment running now (a weaker guess), or nothing (the working copy).
 */
export interface RevisionLink {
  how: 'revision' | 'digest' | 'time-window' | 'current-deployment' | 'none';
  confidence: number;
}

const linkOf = (how: RevisionLink['how']): RevisionLink => ({
  how,
  confidence: { revision: 1, digest: 0.9, 'time-window': 0.6, 'current-deployment': 0.4, none: 0 }[how],
});

export interface TraceOptions {
  repo: Repository;
  text: string;
  /**
   * The source in use (the service, GitHub or deploy tags): findings by id, what built an
   * artifact and where it runs, and what ran in an environment.
   */
  source?: LineageSource | null;
  slug?: string | null;
  environment?: string | null;
  revision?: string | null;
  codeMappings?: CodeMapping[];
  /** At most this many candidates come back. */
  limit?: number;
}

export async function traceFinding(options: TraceOptions): Promise<TraceResult> {
  const { repo } = options;
  const tried: string[] = [];
  let input = readFindingInput(options.text);
  tried.push(
    `read the input as ${input.kind.replace(/-/g, ' ')}${input.locations.length ? ` with ${input.locations.length} location(s)` : ''}`,
  );

  if (input.kind === 'finding-reference' && input.hints.findingId) {
    const id = input.hints.findingId;
    // The service knows every finding; GitHub its own code-scanning alerts.
    const source = options.source?.finding && answersFor(options.source, options.slug) ? options.source : null;
    const from = source ? sourceName(source) : null;
    const f = source ? await source.finding!(options.slug ?? '', id) : null;
    if (!from) {
      tried.push(`finding ${id}: no service to ask`);
    } else if (!f && source!.kind === 'service') {
      // The service holds every finding reported to it: an id it does not know is a wrong id.
      throw new UnknownFindingError(`finding ${id}: the service has none by that id`);
    } else if (!f) {
      tried.push(`finding ${id}: ${from} has none by that id`);
    } else if (f.locations.length === 0 && f.detail && readFindingInput(f.detail).locations.length > 0) {
      // A runtime error (OpenTelemetry) keeps its stack, not locations: read the stack, at the
      // revision and in the environment the finding names.
      const stack = readFindingInput(f.detail);
      input = {
        ...stack,
        hints: {
          ...stack.hints,
          commit: stack.hints.commit ?? f.commit,
          artifact: stack.hints.artifact ?? f.artifact,
          environment: stack.hints.environment ?? f.environment,
          release: stack.hints.release ?? f.release,
        },
        messages: [f.title, ...stack.messages],
      };
      tried.push(`finding ${f.id} from ${from}: its stack, ${stack.locations.length} frame(s)`);
    } else {
      input = {
        kind: 'finding-reference',
        locations: f.locations.map((l, i) => ({
          file: l.path,
          line: l.line,
          column: null,
          function: null,
          source: 'service',
          index: i,
          language: null,
          raw: `${l.path}:${l.line ?? ''}`,
        })),
        kubernetes: [],
        terraform: [],
        hints: {
          ...input.hints,
          commit: f.locations[0]?.revision ?? f.commit,
          artifact: f.artifact,
          environment: f.environment,
          release: f.release,
        },
        messages: [f.title],
      };
      tried.push(`finding ${f.id} from ${from}: ${f.locations.length} location(s)`);
    }
  }

  const artifact = input.hints.artifact ? await artifactFacts(options, input.hints.artifact, tried) : null;
  const revision = await chooseRevision(options, input, artifact, tried);
  // The working copy's files, listed once: source maps, infrastructure and (without a revision) paths.
  const workingFiles = (await repo.run(['ls-files', '-z'])).split('\0').filter(Boolean);
  // The files of each revision a frame is read at, listed once: the finding's, and any a Go
  // module version names.
  const indexes = new Map<string, Promise<PathIndex>>();
  const indexAt = (sha: string) => {
    let at = indexes.get(sha);
    if (!at) {
      at = repo
        .run(['ls-tree', '-r', '--name-only', '--end-of-options', checkRevision(sha)])
        .then((out) => new PathIndex(out.split('\n').filter(Boolean)));
      indexes.set(sha, at);
    }
    return at;
  };
  const index = revision.sha ? await indexAt(revision.sha) : new PathIndex(workingFiles);

  // Bundled frames first go back to their sources through the build's source maps.
  const maps = new SourceMaps(repo.root, workingFiles);
  for (const loc of input.locations) {
    if (loc.language !== 'javascript' || loc.line === null || loc.column === null) continue;
    const original = await maps.original(loc.file, loc.line, loc.column);
    if (!original) continue;
    const source = original.source.startsWith(`${repo.root}/`) ? original.source.slice(repo.root.length + 1) : original.source;
    tried.push(`${loc.file}:${loc.line}:${loc.column} is ${source}:${original.line} by ${original.map}`);
    Object.assign(loc, { file: source, line: original.line, column: original.column });
  }

  const candidates: TraceCandidate[] = [];
  const unresolved: string[] = [];
  let rank = 0;
  // Go frames in this repository's own module, from another module's build (module cache, vendor):
  // not library code, and a module-cache version names the revision they ran at.
  const ownModule = await ownGoModule(repo);
  const ownFile = (loc: TraceLocation) => {
    const file = ownModule && loc.language === 'go' ? goModuleFile(loc.file) : null;
    return file?.module === ownModule ? file : null;
  };
  const isLibrary = (loc: TraceLocation) => !ownFile(loc) && looksLikeLibrary(loc.file);
  const ordered = [...input.locations].sort((a, b) => Number(isLibrary(a)) - Number(isLibrary(b)) || a.index - b.index);
  for (const loc of ordered) {
    const own = ownFile(loc);
    let locRevision = revision.sha;
    let locIndex = index;
    let versionNote = '';
    if (own?.version) {
      const sha = await goVersionCommit(repo, own.version);
      if (sha) {
        locRevision = sha;
        locIndex = await indexAt(sha);
        versionNote = ` (${own.module}@${own.version} is ${sha.slice(0, 12)})`;
      } else
        tried.push(
          `${own.module}@${own.version} names no tag or commit of this repository; read at ${revision.sha?.slice(0, 12) ?? 'the working copy'}`,
        );
    }
    const matches = locIndex.resolve(own ? own.rest : loc.file, options.codeMappings ?? []);
    if (matches.length === 0) {
      unresolved.push(loc.file);
      continue;
    }
    const library = isLibrary(loc) && matches[0]!.how !== 'mapping' && matches[0]!.segments < 2;
    for (const match of matches.slice(0, 5)) {
      const mapped = await mapToWorkingCopy(repo, locRevision, match.path, loc.line, loc.sourceText);
      const confidence = Math.max(
        0.05,
        0.95 -
          rank * 0.1 -
          (matches.length > 1 ? 0.25 : 0) -
          (library ? 0.3 : 0) -
          (mapped.line === null ? (loc.line === null ? 0.4 : 0.2) : 0) -
          // Less than a frame's step: the frame where it failed, edited since, still comes before its callers.
          (mapped.changed ? (mapped.changed.how === 'edited' ? 0.07 : 0.03) : 0) +
          (mapped.quotedSource === 'matches' || mapped.quotedSource === 'found' ? 0.04 : 0) -
          // The frame's code is nowhere in this file and the line was not edited: most likely another file of that name.
          (mapped.quotedSource === 'absent' && !mapped.changed ? 0.35 : 0),
      );
      const where =
        loc.source === 'frame'
          ? `frame ${loc.index + 1}${loc.function ? ` (${loc.function.slice(0, 80)})` : ''}`
          : loc.source === 'sarif'
            ? 'reported location'
            : 'location field';
      const how =
        match.how === 'mapping'
          ? 'code mapping'
          : matches.length > 1
            ? `ambiguous suffix match, ${matches.length} files`
            : `suffix match on ${match.segments} path segment(s)`;
      candidates.push({
        path: mapped.path ?? match.path,
        line: mapped.line,
        confidence: Math.round(confidence * 100) / 100,
        revision: locRevision,
        reason: `${library ? 'library ' : ''}${where} ${loc.file}${loc.line ? `:${loc.line}` : ''}${versionNote} → ${match.path} by ${how}; ${mapped.note}`,
        original: { file: loc.file, line: loc.line, function: loc.function },
        library,
        ...(mapped.deletedBy !== undefined ? { deletedBy: mapped.deletedBy } : {}),
        ...(mapped.changed ? { changed: mapped.changed } : {}),
      });
    }
    rank++;
    if (candidates.length >= (options.limit ?? 20)) break;
  }
  candidates.push(...(await infrastructureCandidates(repo, workingFiles, input, tried)));
  if (unresolved.length)
    tried.push(
      `no file of the repository matches ${[...new Set(unresolved)].slice(0, 5).join(', ')}${unresolved.length > 5 ? ` and ${unresolved.length - 5} more` : ''}`,
    );
  if (input.locations.length + input.kubernetes.length + input.terraform.length === 0)
    tried.push('found no stack frame, SARIF location, file/line field, Kubernetes object or Terraform resource in the input');
  return {
    input: { kind: input.kind, locations: input.locations.length, messages: input.messages },
    revision,
    ...(artifact ? { artifact: { digest: artifact.digest, commit: artifact.commit, runsIn: artifact.runsIn } } : {}),
    candidates: dedupe(candidates.sort((a, b) => b.confidence - a.confidence)).slice(0, options.limit ?? 20),
    tried,
  };
}

/** Kubernetes objects and Terraform resources, found where the working copy defines them. */
async function infrastructureCandidates(
  repo: Repository,
  files: string[],
  input: FindingInput,
  tried: string[],
): Promise<TraceCandidate[]> {
  if (input.kubernetes.length + input.terraform.length === 0) return [];
  const cache = new Map<string, Promise<string | null>>();
  const read = (path: string) => {
    let text = cache.get(path);
    if (!text) cache.set(path, (text = readFile(join(repo.root, path), 'utf8').catch(() => null)));
    return text;
  };
  const out: TraceCandidate[] = [];
  const seen = new Set<string>();
  for (const ref of input.kubernetes.slice(0, 50)) {
    const key = `${ref.kind}/${ref.namespace}/${ref.name}/${ref.field}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const hits = await findKubernetes({ files, read }, ref);
    if (hits.length === 0)
      tried.push(`no manifest defines ${ref.kind ?? 'object'} ${ref.name}${ref.namespace ? ` in ${ref.namespace}` : ''}`);
    for (const h of hits)
      out.push({
        path: h.path,
        line: h.line,
        confidence: h.exact ? 0.9 : hits.length > 1 ? 0.6 : 0.75,
        revision: null,
        reason: h.reason,
        original: { file: `${ref.kind ?? ''}/${ref.name}`, line: null, function: ref.field },
        library: false,
      });
  }
  for (const ref of input.terraform.slice(0, 50)) {
    if (seen.has(ref.address)) continue;
    seen.add(ref.address);
    const hits = await findTerraform({ files, read }, ref);
    if (hits.length === 0) tried.push(`no .tf file defines ${ref.address}`);
    for (const h of hits)
      out.push({
        path: h.path,
        line: h.line,
        confidence: hits.length > 1 ? 0.6 : 0.85,
        revision: null,
        reason: h.reason,
        original: { file: ref.address, line: null, function: ref.attribute },
        library: false,
      });
  }
  return out;
}

/** This repository's Go module path as its origin names it (host/owner/name, lower case), or null. */
async function ownGoModule(repo: Repository): Promise<string | null> {
  const url = (await repo.originUrl()) ?? '';
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)[:/](.+?)(?:\.git)?\/?$/i.exec(url);
  return m ? `${m[1]}/${m[2]!.replace(/^\/+/, '')}`.toLowerCase() : null;
}

/** The commit a Go module version of this repository names, when the repository has it. */
async function goVersionCommit(repo: Repository, version: string): Promise<string | null> {
  const named = goVersionRevision(version);
  let rev: string;
  if ('commit' in named) rev = `${checkRevision(named.commit)}^{commit}`;
  else if (/^v\d+\.\d+\.\d+[\w.+-]{0,100}$/.test(named.tag)) rev = `refs/tags/${named.tag}^{commit}`;
  else return null;
  const out = await repo.run(['rev-parse', '--verify', '--quiet', '--end-of-options', rev]).catch(() => '');
  return /^[0-9a-f]{40,64}$/.test(out.trim()) ? out.trim() : null;
}

/**
 * One candidate per place. A deleted line has no place of its own today (line null), so it is
 * told apart by where the trace put it: two deleted frames of one file are two answers.
 */
function dedupe(candidates: TraceCandidate[]): TraceCandidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => {
    const key = c.line === null ? `${c.path}:changed:${c.original.file}:${c.original.line}` : `${c.path}:${c.line}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface ArtifactFacts {
  digest: string;
  commit: string | null;
  runsIn: ArtifactPlacement[];
  /** Why the commit is unknown, when asking failed. */
  error: string | null;
}

function sourceName(source: LineageSource): string {
  return source.kind === 'service' ? 'the service' : source.kind === 'github' ? 'GitHub' : `the ${source.kind} source`;
}

/**
 * What the service or GitHub knows of the artifact a finding names: the commit it was built from
 * (the service's provenance, or GitHub's attestations) and where it runs (the service's
 * deployments of it, or GitHub's artifact deployment records).
 */
async function artifactFacts(options: TraceOptions, digest: string, tried: string[]): Promise<ArtifactFacts> {
  const { source } = options;
  const facts: ArtifactFacts = { digest, commit: null, runsIn: [], error: null };
  const short = digest.slice(0, 19);
  if (source && answersFor(source, options.slug) && (source.artifactCommit || source.artifactPlacements)) {
    const slug = options.slug ?? '';
    const [commit, placements] = await Promise.allSettled([
      source.artifactCommit?.(slug, digest) ?? null,
      source.artifactPlacements?.(slug, digest) ?? [],
    ]);
    if (commit.status === 'fulfilled') facts.commit = commit.value;
    else facts.error = (commit.reason as Error).message;
    if (placements.status === 'fulfilled') facts.runsIn = placements.value;
    else tried.push(`artifact ${short}: deployment records: ${(placements.reason as Error).message}`);
  } else {
    facts.error = 'no service or GitHub to ask which commit built it';
  }
  const live = facts.runsIn.filter((p) => p.live);
  if (live.length)
    tried.push(
      `artifact ${short} runs in ${live.map((p) => [p.environment, p.physicalEnvironment, p.cluster].filter(Boolean).join('/')).join(', ')}`,
    );
  return facts;
}

async function chooseRevision(
  options: TraceOptions,
  input: FindingInput,
  artifact: ArtifactFacts | null,
  tried: string[],
): Promise<TraceResult['revision']> {
  const { repo, slug } = options;
  const usable = async (sha: string, how: string, link: RevisionLink['how']) => {
    if (await repo.hasCommit(sha)) return { sha: sha.toLowerCase(), how, link: linkOf(link) };
    tried.push(`${how}, but ${sha.slice(0, 12)} is not in this clone: git fetch`);
    return null;
  };
  if (input.hints.commit) {
    const r = await usable(input.hints.commit, `the finding names commit ${input.hints.commit.slice(0, 12)}`, 'revision');
    if (r) return r;
  }
  if (artifact) {
    const short = artifact.digest.slice(0, 19);
    if (artifact.commit) {
      const r = await usable(
        artifact.commit,
        `artifact ${short} was built from ${artifact.commit.slice(0, 12)}${options.source?.kind === 'github' ? ' (its GitHub attestation)' : ''}`,
        'digest',
      );
      if (r) return r;
    } else tried.push(`artifact ${short}: ${artifact.error ?? 'no commit known for it'}`);
  }
  if (input.hints.release) tried.push(`release ${input.hints.release.slice(0, 60)}: releases are not mapped to commits; used what follows`);
  if (options.revision) {
    const r = await usable(checkRevision(options.revision), `--revision ${options.revision.slice(0, 12)}`, 'revision');
    if (r) return r;
  }
  // Without a named environment, the one place the artifact runs is where to look.
  const artifactHome = artifact ? [...new Set(artifact.runsIn.filter((p) => p.live).map((p) => p.environment))] : [];
  const environment = options.environment ?? input.hints.environment ?? (artifactHome.length === 1 ? artifactHome[0]! : 'production');
  const deployments = options.source ?? null;
  if (deployments && slug) {
    try {
      // The deployment running when the finding was seen, when it says when; else the current one.
      const when = input.hints.time ? Date.parse(input.hints.time) : NaN;
      const d = Number.isFinite(when)
        ? (await deployments.history(slug, environment, 100)).find((x) => x.commit && x.status === 'success' && Date.parse(x.at) <= when)
        : (await deployments.environments(slug)).find((e) => e.name === environment)?.deployment;
      if (d?.commit) {
        const r = await usable(
          d.commit,
          `${Number.isFinite(when) ? `running in ${environment} at ${input.hints.time} (a time window)` : `running in ${environment}`} since deployment ${d.id} (${d.at})`,
          Number.isFinite(when) ? 'time-window' : 'current-deployment',
        );
        if (r) return r;
      } else
        tried.push(
          `${environment}: ${deployments.kind === 'git' ? 'no deploy tag' : `the ${deployments.kind} source knows no deployment`} with a commit${Number.isFinite(when) ? ` before ${input.hints.time}` : ''}`,
        );
    } catch (e) {
      tried.push(`environments of ${slug}: ${(e as Error).message}`);
    }
  }
  return { sha: null, how: 'the working copy (no revision found in the finding, no deployment known)', link: linkOf('none') };
}

/** The working-copy line for `line` of `path` at `revision` (a null revision is the working copy). */
async function mapToWorkingCopy(
  repo: Repository,
  revision: string | null,
  path: string,
  line: number | null,
  quoted?: string,
): Promise<MappedLine> {
  let working = await readFile(join(repo.root, path), 'utf8').catch(() => null);
  let currentPath = path;
  if (working === null && revision) {
    // Renamed since the revision: follow it to today's name.
    const renamed = await renamedSince(repo, revision, path);
    if (renamed) {
      working = await readFile(join(repo.root, renamed), 'utf8').catch(() => null);
      if (working !== null) currentPath = renamed;
    }
  }
  if (working === null) return { line: null, note: `${path} is not in the working copy any more` };
  const filtered = await repo.filteredReason(currentPath, working).catch(() => null);
  if (filtered) return { line: null, note: filtered };
  let mapped: MappedLine;
  if (currentPath !== path) {
    const moved = await mapText(repo, revision!, path, line, working, currentPath);
    mapped = { ...moved, note: `${path} is ${currentPath} now; ${moved.note}`, path: currentPath };
  } else if (revision === null) {
    const count = splitLines(working).length;
    if (line === null) mapped = { line: null, note: 'no line given' };
    else
      mapped =
        line <= count
          ? { line, note: `line ${line} of the working copy` }
          : { line: null, note: `line ${line} is past the end (${count} lines)` };
  } else mapped = await mapText(repo, revision, path, line, working);
  return quoted ? checkQuotedSource(mapped, splitLines(working), quoted, line) : mapped;
}

/** Whether a line is the quoted source (in loose form), perhaps with a comment added after it. */
function holds(line: string, want: string): boolean {
  const loose = looseForm(line);
  return loose === want || (loose.startsWith(want) && /^(#|\/\/|\/\*)/.test(loose.slice(want.length)));
}

/**
 * The source line a trace quotes (Python, recovery middleware) is what ran at that frame: when
 * the mapped line holds it the answer is confirmed; when another line holds it, that line is
 * where the frame's code is now (the trace came from another version than the one assumed, or the
 * line moved), nearest the expected place among several; when no line does, it was changed.
 */
function checkQuotedSource(mapped: MappedLine, workingLines: string[], quoted: string, traceLine: number | null): MappedLine {
  const want = looseForm(quoted);
  if (want === '') return mapped;
  if (mapped.line !== null && holds(workingLines[mapped.line - 1] ?? '', want)) {
    return { ...mapped, note: `${mapped.note}; it holds the source the trace quotes`, quotedSource: 'matches' };
  }
  // A line as short as `return x` has many equals: it can confirm a line, not move one.
  if (want.length >= 8) {
    const expected = (mapped.line ?? traceLine ?? 1) - 1;
    let found = -1;
    for (let i = 0; i < workingLines.length; i++) {
      if (holds(workingLines[i]!, want) && (found < 0 || Math.abs(i - expected) < Math.abs(found - expected))) found = i;
    }
    if (found >= 0) {
      const { changed: _changed, deletedBy: _deletedBy, ...rest } = mapped;
      return {
        ...rest,
        line: found + 1,
        note: `${mapped.note}; the trace quotes "${quoted.slice(0, 80)}", which is line ${found + 1}`,
        quotedSource: 'found',
      };
    }
  }
  return {
    ...mapped,
    note: `${mapped.note}; no line holds the source the trace quotes ("${quoted.slice(0, 80)}")`,
    quotedSource: 'absent',
  };
}

/**
 * Where a file of `revision` lives in HEAD. The whole-tree comparison finds a file moved with its
 * text mostly intact; a file moved and then rewritten is no longer similar enough to it, so the
 * renames are then followed commit by commit from the revision on, as `git log --follow` does:
 * each move is detected in the commit that made it, before the rewrites that came after.
 */
async function renamedSince(repo: Repository, revision: string, path: string): Promise<string | null> {
  const rev = checkRevision(revision);
  const out = await repo
    .run(['diff', '--no-textconv', '--no-ext-diff', '-M', '--name-status', '-z', '--end-of-options', rev, 'HEAD'])
    .catch(() => '');
  const parts = out.split('\0');
  for (let i = 0; i < parts.length; i++) {
    if (/^R\d*$/.test(parts[i]!) && parts[i + 1] === path) return parts[i + 2] ?? null;
  }
  const log = await repo
    .run([
      'log',
      '--reverse',
      '--no-textconv',
      '--no-ext-diff',
      '-M',
      '--diff-filter=R',
      '--name-status',
      '-z',
      '--format=%x01%H',
      '--end-of-options',
      `${rev}..HEAD`,
    ])
    .catch(() => '');
  let current = path;
  for (const record of log.split('\x01').slice(1)) {
    const fields = record.split('\0').slice(1);
    for (let i = 0; i + 2 < fields.length; i += 3) {
      if (/^\n?R\d*$/.test(fields[i]!) && fields[i + 1] === current) current = fields[i + 2]!;
    }
  }
  return current === path ? null : current;
}

async function mapText(
  repo: Repository,
  revision: string,
  path: string,
  line: number | null,
  working: string,
  currentPath = path,
): Promise<MappedLine> {
  const workingLines = splitLines(working);
  if (line === null) return { line: null, note: 'no line given' };
  const old = await repo.textAt(revision, path);
  if (old === null) return { line: null, note: `${path} does not exist at ${revision.slice(0, 7)}` };
  const oldLines = splitLines(old);
  if (line > oldLines.length)
    return { line: null, note: `line ${line} is past the end of ${path} at ${revision.slice(0, 7)} (${oldLines.length} lines)` };
  const { fromTo } = mapLines(oldLines, workingLines);
  const target = fromTo[line - 1]!;
  if (target >= 0)
    return {
      line: target + 1,
      note:
        target + 1 === line
          ? `line ${line} unchanged since ${revision.slice(0, 7)}`
          : `line ${line} at ${revision.slice(0, 7)} is line ${target + 1} now`,
    };
  const became = lineBecame(oldLines, workingLines, fromTo, line - 1);
  if (became) {
    const commit = await changingCommit(repo, revision, currentPath, became.index + 1, path, oldLines[line - 1]!);
    const what = { reformatted: 'was reformatted into', moved: 'moved to', edited: 'was edited into' }[became.how];
    return {
      line: became.index + 1,
      note: `line ${line} at ${revision.slice(0, 7)} ${what} line ${became.index + 1}${commit ? ` by ${commit.slice(0, 7)}` : ' (not committed yet)'}`,
      changed: { how: became.how, commit },
    };
  }
  const deletedBy = await deletingCommit(repo, revision, path, oldLines[line - 1]!);
  return {
    line: null,
    note: `line ${line} at ${revision.slice(0, 7)} has been changed or deleted since${deletedBy ? ` (by ${deletedBy.slice(0, 7)})` : ''}`,
    deletedBy,
  };
}

/**
 * The commit that made working line `line` what it is: the last commit to touch it (blame follows
 * renames, so a move of the file is not taken for a change of the line). When that commit is the
 * revision or older (the line's text came from elsewhere in the file), the first commit after the
 * revision that removed the old text is the change instead. Null: not committed yet.
 */
async function changingCommit(
  repo: Repository,
  revision: string,
  path: string,
  line: number,
  oldPath: string,
  oldText: string,
): Promise<string | null> {
  const out = await repo.run(['blame', '--porcelain', '--no-textconv', '-L', `${line},${line}`, '--', path]).catch(() => '');
  const sha = /^([0-9a-f]{40,64}) /.exec(out)?.[1] ?? null;
  if (!sha || /^0+$/.test(sha)) return null;
  if (sha === revision || (await repo.isAncestor(sha, revision).catch(() => false)))
    return deletingCommit(repo, revision, oldPath, oldText);
  return sha;
}

/** The first commit after `revision` that removed this exact text from the file. */
async function deletingCommit(repo: Repository, revision: string, path: string, text: string): Promise<string | null> {
  if (text.trim() === '' || text.length > 500) return null;
  const out = await repo
    .run([
      'log',
      '--no-textconv',
      '--no-ext-diff',
      '--reverse',
      '--format=%H',
      `-S${text}`,
      '--end-of-options',
      `${checkRevision(revision)}..HEAD`,
      '--',
      path,
    ])
    .catch(() => '');
  return out.split('\n')[0]?.trim() || null;
}
