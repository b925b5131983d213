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
import { mapLines, splitLines } from '../linemap/lineMap';
import { answersFor, type ArtifactPlacement, type LineageSource } from '../sources/lineageSource';
import { readFindingInput, type FindingInput, type TraceLocation } from './findingInput';
import { findKubernetes } from './kubernetesLocator';
import { findTerraform } from './terraformLocator';
import { looksLikeLibrary, PathIndex, type CodeMapping } from './pathResolver';
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
  const files = revision.sha
    ? (await repo.run(['ls-tree', '-r', '--name-only', '--end-of-options', checkRevision(revision.sha)])).split('\n').filter(Boolean)
    : workingFiles;
  const index = new PathIndex(files);

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
  const ordered = [...input.locations].sort((a, b) => Number(isLibrary(a)) - Number(isLibrary(b)) || a.index - b.index);
  for (const loc of ordered) {
    const matches = index.resolve(loc.file, options.codeMappings ?? []);
    if (matches.length === 0) {
      unresolved.push(loc.file);
      continue;
    }
    const library = isLibrary(loc) && matches[0]!.how !== 'mapping' && matches[0]!.segments < 2;
    for (const match of matches.slice(0, 5)) {
      const mapped = await mapToWorkingCopy(repo, revision.sha, match.path, loc.line);
      const confidence = Math.max(
        0.05,
        0.95 -
          rank * 0.1 -
          (matches.length > 1 ? 0.25 : 0) -
          (library ? 0.3 : 0) -
          (mapped.line === null ? (loc.line === null ? 0.4 : 0.2) : 0),
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
        revision: revision.sha,
        reason: `${library ? 'library ' : ''}${where} ${loc.file}${loc.line ? `:${loc.line}` : ''} → ${match.path} by ${how}; ${mapped.note}`,
        original: { file: loc.file, line: loc.line, function: loc.function },
        library,
        ...(mapped.deletedBy !== undefined ? { deletedBy: mapped.deletedBy } : {}),
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

function isLibrary(loc: TraceLocation): boolean {
  return looksLikeLibrary(loc.file);
}

/**
 * One candidate per place. A changed line has no place of its own today (line null), so it is
 * told apart by where the trace put it: two changed frames of one file are two answers.
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
): Promise<{ line: number | null; note: string; deletedBy?: string | null; path?: string }> {
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
  if (currentPath !== path) {
    const mapped = await mapText(repo, revision!, path, line, working);
    return { ...mapped, note: `${path} is ${currentPath} now; ${mapped.note}`, path: currentPath };
  }
  if (revision === null) {
    const count = splitLines(working).length;
    if (line === null) return { line: null, note: 'no line given' };
    return line <= count
      ? { line, note: `line ${line} of the working copy` }
      : { line: null, note: `line ${line} is past the end (${count} lines)` };
  }
  return mapText(repo, revision, path, line, working);
}

/** Where a file of `revision` lives in HEAD, when git sees it renamed. */
async function renamedSince(repo: Repository, revision: string, path: string): Promise<string | null> {
  const out = await repo
    .run(['diff', '--no-textconv', '--no-ext-diff', '-M', '--name-status', '-z', '--end-of-options', checkRevision(revision), 'HEAD'])
    .catch(() => '');
  const parts = out.split('\0');
  for (let i = 0; i < parts.length; i++) {
    if (/^R\d*$/.test(parts[i]!) && parts[i + 1] === path) return parts[i + 2] ?? null;
  }
  return null;
}

async function mapText(
  repo: Repository,
  revision: string,
  path: string,
  line: number | null,
  working: string,
): Promise<{ line: number | null; note: string; deletedBy?: string | null }> {
  const workingLines = splitLines(working);
  if (line === null) return { line: null, note: 'no line given' };
  const old = await repo.textAt(revision, path);
  if (old === null) return { line: null, note: `${path} does not exist at ${revision.slice(0, 7)}` };
  const oldLines = splitLines(old);
  if (line > oldLines.length)
    return { line: null, note: `line ${line} is past the end of ${path} at ${revision.slice(0, 7)} (${oldLines.length} lines)` };
  const target = mapLines(oldLines, workingLines).fromTo[line - 1]!;
  if (target >= 0)
    return {
      line: target + 1,
      note:
        target + 1 === line
          ? `line ${line} unchanged since ${revision.slice(0, 7)}`
          : `line ${line} at ${revision.slice(0, 7)} is line ${target + 1} now`,
    };
  const deletedBy = await deletingCommit(repo, revision, path, oldLines[line - 1]!);
  return {
    line: null,
    note: `line ${line} at ${revision.slice(0, 7)} has been changed or deleted since${deletedBy ? ` (by ${deletedBy.slice(0, 7)})` : ''}`,
    deletedBy,
  };
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
