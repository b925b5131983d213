/**
 * Argo CD Applications (argoproj.io/v1alpha1), as Argo CD's notifications controller sends them
 * (`{{toJson .app}}` in a webhook template). An Application carries its own deploy record:
 * `status.history` lists its last syncs (id, revision or revisions, deployedAt, initiatedBy,
 * source or sources), and `status.health` says how what runs is doing.
 *
 * - Each history entry is a deployment of its revision to the Application's environment: the
 *   `code-lineage.dev/environment` annotation when set, else the destination (cluster name or
 *   server host, and namespace). One commit synced to ten clusters by an ApplicationSet is ten
 *   Applications, hence ten deployments of that commit.
 * - The history id is Argo CD's own order of an Application's syncs (`sequence`, origin
 *   `argocd:<namespace>/<name>`). A sync to a revision an earlier entry already ran, after a
 *   different one, is a rollback.
 * - `status.summary.images` is what runs now, so its digests belong to the newest entry only.
 * - Degraded or missing health, or a failed sync, is an open finding on the Application's
 *   current deployment; healthy again, the same finding is resolved.
 *
 * Keyed by the body's hash: Argo CD sends an Application again on every trigger, and its entries
 * are the same rows each time.
 */
import { type Fact, InvalidEventError, type NormalizedEvent, rankOf } from './facts';
import { at, digestFrom, int, isObject, iso, obj, repoFrom, sha, contentKey, str, type Json } from './values';

export const environmentAnnotation = 'code-lineage.dev/environment';

export function isArgoApplication(doc: unknown): boolean {
  return isObject(doc) && doc.kind === 'Application' && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('argoproj.io/');
}

/** The Application in a notification body: the object itself, or under `app` / `application`. */
export function argoApplicationIn(body: unknown): Json | null {
  if (isArgoApplication(body)) return body as Json;
  for (const key of ['app', 'application']) {
    const inner = isObject(body) ? body[key] : undefined;
    if (isArgoApplication(inner)) return inner as Json;
  }
  return null;
}

interface HistoryEntry {
  id: number;
  revision: string | null;
  repo: string | null;
  deployedAt: string;
  actor: string | null;
  automated: boolean;
}

export function normalizeArgoApplication(app: Json, raw: string): NormalizedEvent {
  const { key, rawSha256 } = contentKey('argocd', raw);
  const name = str(at(app, 'metadata.name'));
  if (!name) throw new InvalidEventError('/metadata/name', 'required');
  const namespace = str(at(app, 'metadata.namespace')) ?? 'argocd';
  const uid = str(at(app, 'metadata.uid'));
  const environment = environmentOf(app);
  if (!environment) {
    throw new InvalidEventError(
      '/spec/destination',
      `names no environment: set the ${environmentAnnotation} annotation, or a destination with a namespace`,
    );
  }
  const origin = `argocd:${namespace}/${name}`;
  // A recreated Application numbers its history from the start again: its uid keeps the rows apart.
  const base = `${origin}${uid ? `:${uid}` : ''}`;
  const idOf = (historyId: number) => `${base}:${historyId}`;
  const history = historyOf(app);
  const images = imagesOf(app);
  const facts: Fact[] = [];

  const newest = history.reduce<HistoryEntry | null>((n, h) => (n === null || h.id > n.id ? h : n), null);
  const byId = [...history].sort((a, b) => a.id - b.id);
  byId.forEach((h, i) => {
    const before = byId.slice(0, i);
    const previous = before.at(-1);
    const rollback =
      h.revision !== null && previous !== undefined && previous.revision !== h.revision && before.some((b) => b.revision === h.revision);
    const current = h === newest;
    facts.push({
      table: 'deployments',
      rank: rankOf(h.deployedAt, 3, key),
      row: {
        id: idOf(h.id),
        repo: h.repo,
        environment,
        service: name,
        commit_sha: h.revision,
        artifact_digest: current && images.length === 1 ? images[0]!.digest : null,
        at: h.deployedAt,
        actor: h.actor ?? (h.automated ? 'argocd (automated sync)' : null),
        actor_type: h.automated && !h.actor ? 'bot' : null,
        sequence: h.id,
        origin,
        kind: rollback ? 'rollback' : 'deploy',
        status: 'success',
        status_at: h.deployedAt,
        reason: null,
        url: null,
        run_id: null,
        verified_by: null,
      },
    });
  });
  for (const image of images) {
    facts.push({
      table: 'artifacts',
      rank: rankOf(newest?.deployedAt ?? null, 0, key),
      row: { digest: image.digest, name: image.name, purl: null, repo: null, commit_sha: null, build_id: null, created_at: null },
    });
  }
  const health = healthFinding(app, { name, environment, findingId: `${base}:health`, newest, images, key });
  if (health) facts.push(health);
  return { key, format: 'argocd', raw, facts, rawSha256 };
}

/** The annotation, else `<cluster name or server host>/<namespace>`. */
function environmentOf(app: Json): string | null {
  const named = annotation(app, environmentAnnotation);
  if (named) return named.slice(0, 256);
  const destination = obj(at(app, 'spec.destination'));
  const namespace = destination ? str(destination.namespace) : null;
  if (!destination || !namespace) return null;
  const server = str(destination.server);
  let cluster = str(destination.name);
  if (!cluster && server) {
    try {
      cluster = server === 'https://kubernetes.default.svc' ? 'in-cluster' : new URL(server).host;
    } catch {
      cluster = server;
    }
  }
  return `${cluster ?? 'in-cluster'}/${namespace}`.slice(0, 256);
}

function annotation(app: Json, name: string): string | null {
  const annotations = obj(at(app, 'metadata.annotations'));
  return annotations ? str(annotations[name]) : null;
}

/** History entries, each with the first git revision among its sources and that source's repository. */
function historyOf(app: Json): HistoryEntry[] {
  const entries: unknown[] = Array.isArray(at(app, 'status.history')) ? (at(app, 'status.history') as unknown[]) : [];
  const out: HistoryEntry[] = [];
  entries.forEach((e, i) => {
    const entry = obj(e);
    if (!entry) return;
    const id = int(entry.id);
    const deployedAt = iso(entry.deployedAt);
    if (id === null || id < 0) throw new InvalidEventError(`/status/history/${i}/id`, 'required');
    if (!deployedAt) throw new InvalidEventError(`/status/history/${i}/deployedAt`, 'required');
    // Single-source entries have revision and source; multi-source ones revisions[] and sources[].
    const revisions: unknown[] = Array.isArray(entry.revisions) ? entry.revisions : [entry.revision];
    const sources: unknown[] = Array.isArray(entry.sources) ? entry.sources : [entry.source ?? at(app, 'spec.source')];
    let revision: string | null = null;
    let repo: string | null = null;
    revisions.forEach((r, j) => {
      const commit = sha(r);
      if (revision !== null || !commit) return;
      revision = commit;
      repo = repoFrom(str(at(sources[j], 'repoURL')));
    });
    out.push({
      id,
      revision,
      repo,
      deployedAt,
      actor: str(at(entry, 'initiatedBy.username')),
      automated: at(entry, 'initiatedBy.automated') === true,
    });
  });
  return out;
}

/** Images running now that name a digest (`…@sha256:…`). */
function imagesOf(app: Json): { name: string; digest: string }[] {
  const images: unknown[] = Array.isArray(at(app, 'status.summary.images')) ? (at(app, 'status.summary.images') as unknown[]) : [];
  const out: { name: string; digest: string }[] = [];
  for (const image of images) {
    const ref = str(image);
    const cut = ref?.lastIndexOf('@') ?? -1;
    const digest = ref && cut > 0 ? digestFrom(ref.slice(cut + 1)) : null;
    if (ref && digest && !out.some((o) => o.digest === digest)) out.push({ name: ref.slice(0, cut), digest });
  }
  return out;
}

const unhealthy = new Set(['Degraded', 'Missing']);

function healthFinding(
  app: Json,
  ctx: { name: string; environment: string; findingId: string; newest: HistoryEntry | null; images: { digest: string }[]; key: string },
): Fact | null {
  const health = str(at(app, 'status.health.status'));
  const phase = str(at(app, 'status.operationState.phase'));
  const failedSync = phase === 'Failed' || phase === 'Error';
  if (!health && !failedSync) return null;
  const open = failedSync || (health !== null && unhealthy.has(health));
  if (!open && health !== 'Healthy') return null; // Progressing, Suspended, Unknown: nothing to say yet
  const when =
    iso(at(app, 'status.health.lastTransitionTime')) ??
    iso(at(app, 'status.operationState.finishedAt')) ??
    iso(at(app, 'status.reconciledAt'));
  const message = failedSync ? str(at(app, 'status.operationState.message')) : str(at(app, 'status.health.message'));
  const title = failedSync ? `Argo CD: ${ctx.name} failed to sync` : `Argo CD: ${ctx.name} is ${health}`;
  return {
    table: 'findings',
    rank: rankOf(when, open ? 0 : 1, ctx.key),
    row: {
      id: ctx.findingId,
      repo: ctx.newest?.repo ?? null,
      kind: 'alert',
      severity: health === 'Missing' || failedSync ? 'high' : health === 'Degraded' ? 'high' : 'low',
      title,
      status: open ? 'open' : 'resolved',
      environment: ctx.environment,
      service: ctx.name,
      artifact_digest: ctx.images.length === 1 ? ctx.images[0]!.digest : null,
      commit_sha: sha(at(app, 'status.sync.revision')) ?? ctx.newest?.revision ?? null,
      release: null,
      rule_id: failedSync ? 'argocd/sync-failed' : 'argocd/health',
      tool: 'argocd',
      url: null,
      detected_at: when,
      detail: message,
    },
    locations: [],
  };
}
