/**
 * The facts a stored event stands for, computed again from its raw text alone: the same
 * normalisers ingest ran, so every served row can be checked against the chained events.
 */
import { normalizeAlertmanager } from '../ingest/alertmanager';
import { normalizeOtlp } from '../ingest/otlp/otlp';
import { normalizeArgoApplication } from '../ingest/argocd';
import { normalizeCdEvent } from '../ingest/cdevents';
import type { NormalizedEvent } from '../ingest/facts';
import { normalizeGithubEvent } from '../ingest/github';
import { githubEventOfShape } from '../ingest/githubShape';
import { normalizeGitlabEvent } from '../ingest/gitlab';
import { noTrust, type AttestationTrust } from '../ingest/attestationTrust';
import { normalizeInToto } from '../ingest/intoto';
import { normalizeNative } from '../ingest/native';
import { normalizeSarif, openSarifEnvelope } from '../ingest/sarif';
import { isObject, type Json } from '../ingest/values';

/** A stored event's JSON, which ingest only ever stored as an object. */
function jsonObject(raw: string): Json {
  const value: unknown = JSON.parse(raw);
  if (!isObject(value)) throw new Error('the stored event is not a JSON object');
  return value;
}

/** `trust` is what signatures were verified under at ingest; with another, their verdicts differ. */
export function rederive(format: string, raw: string, trust: AttestationTrust = noTrust): NormalizedEvent {
  switch (format) {
    case 'cdevents':
      return normalizeCdEvent(jsonObject(raw), raw);
    case 'native':
      return normalizeNative(jsonObject(raw), raw);
    case 'argocd':
      return normalizeArgoApplication(jsonObject(raw), raw);
    case 'alertmanager':
      return normalizeAlertmanager(jsonObject(raw), raw);
    case 'otlp':
      return normalizeOtlp(jsonObject(raw), raw);
    case 'intoto':
      return normalizeInToto(jsonObject(raw), raw, trust);
    case 'github': {
      // The body names its event; a delivery of an event the service does not read has no facts.
      const payload = jsonObject(raw);
      return normalizeGithubEvent(githubEventOfShape(payload) ?? 'unread', payload, raw);
    }
    case 'gitlab':
      // The body names its event (object_kind): no header needed.
      return normalizeGitlabEvent(jsonObject(raw), raw);
    case 'sarif': {
      const opened = openSarifEnvelope(raw);
      if (!opened) throw new Error('the stored SARIF upload has lost its envelope');
      return normalizeSarif(jsonObject(opened.raw), opened.raw, opened.ctx);
    }
    default:
      throw new Error(`unknown event format "${format}"`);
  }
}
