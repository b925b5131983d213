/**
 * The facts a stored event stands for, computed again from its raw text alone: the same
 * normalisers ingest ran, so every served row can be checked against the chained events.
 */
import { normalizeCdEvent } from '../ingest/cdevents';
import type { NormalizedEvent } from '../ingest/facts';
import { normalizeGithubEvent } from '../ingest/github';
import { githubEventOfShape } from '../ingest/githubShape';
import { normalizeInToto } from '../ingest/intoto';
import { normalizeNative } from '../ingest/native';
import { normalizeSarif, openSarifEnvelope } from '../ingest/sarif';

export function rederive(format: string, raw: string): NormalizedEvent {
  switch (format) {
    case 'cdevents':
      return normalizeCdEvent(JSON.parse(raw), raw);
    case 'native':
      return normalizeNative(JSON.parse(raw), raw);
    case 'intoto':
      return normalizeInToto(JSON.parse(raw), raw);
    case 'github': {
      const payload = JSON.parse(raw);
      const event = githubEventOfShape(payload);
      if (!event) throw new Error('the stored GitHub delivery is none of the supported events');
      return normalizeGithubEvent(event, payload, raw);
    }
    case 'sarif': {
      const opened = openSarifEnvelope(raw);
      if (!opened) throw new Error('the stored SARIF upload has lost its envelope');
      return normalizeSarif(JSON.parse(opened.raw), opened.raw, opened.ctx);
    }
    default:
      throw new Error(`unknown event format "${format}"`);
  }
}
