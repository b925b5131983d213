/**
 * Git-native deployment records for teams without a service: an annotated tag
 * `deploy/<environment>/<UTC timestamp>` per deployment (e.g. deploy/production/20261006T042500Z).
 * The tag's target is the deployed commit, its tagger the actor; its message may carry an
 * artifact digest (sha256:…) and a `kind: rollback|hotfix` line, and a `reason:` line.
 */
import type { CommitLineage } from '../model/api';
import type { Deployment, Environment, Finding } from '../model/domain';
import { digestFrom } from '../ingest/values';
import type { Repository } from '../git/repository';
import type { LineageSource } from './lineageSource';

export const deployTagPrefix = 'refs/tags/deploy/';
const environmentPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function deployTagName(environment: string, at: Date): string {
  if (!environmentPattern.test(environment)) {
    throw new Error(`environment "${environment}" must be letters, digits, ".", "_" or "-" (at most 64)`);
  }
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `deploy/${environment}/${stamp}`;
}

function parseStamp(stamp: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : null;
}

export async function readDeployTags(repo: Repository): Promise<Deployment[]> {
  const format = ['%(refname)', '%(*objectname)', '%(objectname)', '%(taggername)', '%(contents)'].join('%00') + '%00%00';
  const out = await repo.run(['for-each-ref', `--format=${format}`, deployTagPrefix]);
  const deployments: Deployment[] = [];
  for (const record of out.split('\0\0\n')) {
    const [ref, peeled, object, tagger, message = ''] = record.replace(/^\n/, '').split('\0');
    if (!ref || !ref.startsWith(deployTagPrefix)) continue;
    const [environment, stamp, ...rest] = ref.slice(deployTagPrefix.length).split('/');
    const at = stamp ? parseStamp(stamp) : null;
    if (!environment || !at || rest.length > 0) continue;
    const kind = /^kind:\s*(rollback|hotfix)\s*$/im.exec(message)?.[1] as Deployment['kind'] | undefined;
    deployments.push({
      id: ref.slice('refs/tags/'.length),
      repo: null,
      environment,
      service: null,
      commit: (peeled || object || '').toLowerCase() || null,
      artifact: digestFrom(/sha(256|384|512):[0-9a-f]+/i.exec(message)?.[0]),
      at,
      actor: tagger || null,
      kind: kind ?? 'deploy',
      status: 'success',
      reason: /^reason:\s*(.+)$/im.exec(message)?.[1]?.trim() ?? null,
      url: null,
      approvals: [],
      eventKey: ref,
    });
  }
  return deployments.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

export class DeployTagSource implements LineageSource {
  readonly kind = 'git' as const;
  private tags: Promise<Deployment[]> | undefined;

  constructor(private readonly repo: Repository) {}

  private all(): Promise<Deployment[]> {
    this.tags ??= readDeployTags(this.repo);
    return this.tags;
  }

  async environments(): Promise<Environment[]> {
    const byEnv = new Map<string, Deployment>();
    for (const d of await this.all()) if (!byEnv.has(d.environment)) byEnv.set(d.environment, d);
    return [...byEnv.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, deployment]) => ({ name, deployment }));
  }

  async history(_repo: string, environment: string, limit: number): Promise<Deployment[]> {
    return (await this.all()).filter((d) => d.environment === environment).slice(0, limit);
  }

  async deployment(_repo: string, environment: string, id: string): Promise<Deployment | null> {
    return (await this.all()).find((d) => d.environment === environment && d.id === id) ?? null;
  }

  /** Tags carry no pull requests, reviews or builds. */
  lineage(): Promise<Map<string, CommitLineage>> {
    return Promise.resolve(new Map<string, CommitLineage>());
  }

  findings(): Promise<Finding[]> {
    return Promise.resolve([]);
  }
}
