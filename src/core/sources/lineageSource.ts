/**
 * Where deployments, pull requests and findings come from. The engine asks these questions of
 * whichever source is configured: the traceability service, GitHub, GitLab, or git-native deploy tags;
 * the optional ones only of sources that can answer them.
 */
import type { CommitLineage } from '../model/api';
import type { Attestation, Build, Deployment, Environment, Finding } from '../model/domain';

/** Where an artifact runs by deployment records (GitHub artifact metadata). */
export interface ArtifactPlacement {
  environment: string;
  physicalEnvironment: string | null;
  cluster: string | null;
  deploymentName: string | null;
  /** When the record last said the artifact was there. */
  since: string | null;
  /** False for a record of an artifact taken down there. */
  live: boolean;
  runtimeRisks: string[];
}

/** Something a source could not say, and which part of the lineage it leaves unknown. */
export interface SourceNotice {
  about: 'findings' | 'deployments';
  message: string;
}

/** What the local clone can tell a source about commits, so that it asks its server less (GitLab). */
export interface LocalHistory {
  /** For commits made on a branch's own line, the merge on HEAD's first-parent line that brought them in. */
  introducingMerges(commits: string[]): Promise<Map<string, string>>;
  /** Each commit's committer time (Unix seconds), for the commits the clone has. */
  commitTimes?(commits: string[]): Promise<Map<string, number>>;
}

export interface LineageSource {
  readonly kind: 'service' | 'github' | 'gitlab' | 'git';
  /** Each environment with its current deployment. */
  environments(repo: string): Promise<Environment[]>;
  /** An environment's deployments, newest first, at most `limit`. */
  history(repo: string, environment: string, limit: number): Promise<Deployment[]>;
  /** Pull requests, reviews, builds and deployments of each commit, in one batch; `local` is the clone, where there is one. */
  lineage(repo: string, commits: string[], local?: LocalHistory): Promise<Map<string, CommitLineage>>;
  /** Open findings located in `path`. */
  findings(repo: string, path: string): Promise<Finding[]>;
  /** One deployment by id (what a hover link names), null when the source has none by that id. */
  deployment(repo: string, environment: string, id: string): Promise<Deployment | null>;
  /** Checks and builds of one commit, for sources whose lineage batch leaves them out (GitHub). */
  builds?(repo: string, commit: string): Promise<Build[]>;
  /** The provenance statements whose subject is an artifact digest, for sources that keep them (the service). */
  attestations?(repo: string, digest: string): Promise<Attestation[]>;
  /** The commit an artifact digest was built from, for sources that know it by attestations (GitHub). */
  artifactCommit?(repo: string, digest: string): Promise<string | null>;
  /** One finding by id (what `trace` is given), null when the source has none by that id. */
  finding?(repo: string, id: string): Promise<Finding | null>;
  /** Open findings anywhere in the repository (the Findings view), for sources that list them. */
  openFindings?(repo: string): Promise<Finding[]>;
  /** What the source could not say so far (a feature its server or token lacks), as notices. */
  notices?(): SourceNotice[];
  /** Where an artifact digest runs, for sources with deployment records (GitHub). */
  artifactPlacements?(repo: string, digest: string): Promise<ArtifactPlacement[]>;
}

/**
 * Whether a source can be asked about a finding or an artifact by id: the service knows those of
 * every repository it holds; other sources answer within the repository the origin names.
 */
export function answersFor(source: LineageSource, slug: string | null | undefined): boolean {
  return Boolean(slug) || source.kind === 'service';
}
