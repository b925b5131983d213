/**
 * Where deployments, pull requests and findings come from. The engine asks these four questions
 * of whichever source is configured: the traceability service, or git-native deploy tags.
 */
import type { CommitLineage } from '../model/api';
import type { Build, Deployment, Environment, Finding } from '../model/domain';

export interface LineageSource {
  readonly kind: 'service' | 'github' | 'git';
  /** Each environment with its current deployment. */
  environments(repo: string): Promise<Environment[]>;
  /** An environment's deployments, newest first, at most `limit`. */
  history(repo: string, environment: string, limit: number): Promise<Deployment[]>;
  /** Pull requests, reviews, builds and deployments of each commit, in one batch. */
  lineage(repo: string, commits: string[]): Promise<Map<string, CommitLineage>>;
  /** Open findings located in `path`. */
  findings(repo: string, path: string): Promise<Finding[]>;
  /** Checks and builds of one commit, for sources whose lineage batch leaves them out (GitHub). */
  builds?(repo: string, commit: string): Promise<Build[]>;
  /** The commit an artifact digest was built from, for sources that know it by attestations (GitHub). */
  artifactCommit?(repo: string, digest: string): Promise<string | null>;
}
