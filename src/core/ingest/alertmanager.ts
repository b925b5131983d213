/**
 * Alertmanager's webhook notifications (version 4: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * One notification carries a group of alerts; each alert is a finding, keyed by its fingerprint
 * (Alertmanager's hash of its labels), so the same alert firing again is the same finding, open
 * again, and its resolution closes it.
 *
 * What an alert runs on is read from its labels only, never guessed: an image digest
 * (`image`, `image_id`, `container_image`, … holding `sha256:…`) links it to that artifact's
 * deployments and commit; a full commit SHA (`commit`, `revision`, `vcs_revision`, `git_commit`,
 * `version`) to that revision; a repository (`repo`, `repository`, owner/name) to its findings
 * list; `environment` (or `env`, or the namespace, with the cluster before it when labelled, as Argo
 * CD names destinations) and the workload to where it runs. An alert naming no digest and no
 * commit is kept as an orphaned finding.
 */
import { type Fact, InvalidEventError, type NormalizedEvent, rankOf } from './facts';
import { severityOf } from './cdevents';
import { digestFrom, isObject, iso, obj, repoFrom, sha, sha256Hex, contentKey, str, type Json } from './values';

const digestLabels = ['image_digest', 'image_id', 'imageID', 'image', 'container_image_id', 'container_image', 'oci_manifest_digest'];
const commitLabels = [
  'commit',
  'commit_sha',
  'revision',
  'vcs_revision',
  'vcs_ref_head_revision',
  'git_commit',
  'version',
  'label_app_kubernetes_io_version',
  'app_kubernetes_io_version',
];
const releaseLabels = ['label_app_kubernetes_io_version', 'app_kubernetes_io_version', 'version', 'service_version'];
const workloadLabels = [
  'workload',
  'deployment',
  'statefulset',
  'daemonset',
  'label_app_kubernetes_io_name',
  'app_kubernetes_io_name',
  'app',
  'service',
  'job',
];

export function isAlertmanagerNotification(doc: unknown): boolean {
  return isObject(doc) && Array.isArray(doc.alerts) && (typeof doc.groupKey === 'string' || typeof doc.receiver === 'string');
}

export function normalizeAlertmanager(body: Json, raw: string): NormalizedEvent {
  const { key, rawSha256 } = contentKey('alertmanager', raw);
  if (!Array.isArray(body.alerts)) throw new InvalidEventError('/alerts', 'required: the alerts of the notification');
  const common = obj(body.commonLabels) ?? {};
  const facts: Fact[] = [];
  body.alerts.forEach((a, i) => {
    const alert = obj(a);
    if (!alert) throw new InvalidEventError(`/alerts/${i}`, 'an alert must be an object');
    const labels: Json = { ...common, ...(obj(alert.labels) ?? {}) };
    const annotations = obj(alert.annotations) ?? {};
    const fingerprint = str(alert.fingerprint) ?? sha256Hex(JSON.stringify(Object.entries(labels).sort()));
    const firing = str(alert.status) !== 'resolved';
    const startsAt = iso(alert.startsAt);
    if (!startsAt) throw new InvalidEventError(`/alerts/${i}/startsAt`, 'required (RFC 3339)');
    // Alertmanager sends endsAt 0001-01-01T00:00:00Z for an alert with no end yet.
    const endsAt = iso(alert.endsAt);
    const ended = endsAt && Date.parse(endsAt) > Date.parse(startsAt) ? endsAt : null;
    const name = str(labels.alertname) ?? 'alert';
    facts.push({
      table: 'findings',
      rank: rankOf(firing ? startsAt : (ended ?? startsAt), firing ? 0 : 1, key),
      row: {
        id: `alertmanager:${fingerprint}`,
        repo: firstOf(labels, ['repo', 'repository'], repoFrom),
        kind: 'alert',
        severity: severityOf(labels.severity) ?? severityOf(labels.priority) ?? 'medium',
        title: (str(annotations.summary) ?? str(annotations.title) ?? name).slice(0, 512),
        status: firing ? 'open' : 'resolved',
        environment: environmentOf(labels),
        service: firstOf(labels, workloadLabels, (v) => str(v)),
        artifact_digest: firstOf(labels, digestLabels, digestIn),
        commit_sha: firstOf(labels, commitLabels, sha),
        release: firstOf(labels, releaseLabels, (v) => (sha(v) ? null : str(v))),
        rule_id: name,
        tool: 'alertmanager',
        url: str(alert.generatorURL),
        detected_at: startsAt,
        detail: str(annotations.description, 65536) ?? str(annotations.message, 65536),
      },
      locations: [],
    });
  });
  return { key, format: 'alertmanager', raw, facts, rawSha256 };
}

function firstOf<T>(labels: Json, names: string[], read: (v: unknown) => T | null): T | null {
  for (const name of names) {
    const value = read(labels[name]);
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

/** A digest inside a label value: `sha256:…` alone, or after an image name (`…@sha256:…`, `docker-pullable://…@sha256:…`). */
function digestIn(v: unknown): string | null {
  const text = str(v);
  const m = text ? /(sha256:[0-9a-f]{64})/.exec(text) : null;
  return m ? digestFrom(m[1]) : null;
}

function environmentOf(labels: Json): string | null {
  const named = str(labels.environment) ?? str(labels.env) ?? str(labels.deployment_environment) ?? str(labels.deployment_environment_name);
  if (named) return named.slice(0, 256);
  const namespace = str(labels.namespace) ?? str(labels.exported_namespace);
  if (!namespace) return null;
  const cluster = str(labels.cluster);
  return (cluster ? `${cluster}/${namespace}` : namespace).slice(0, 256);
}
