/** Which format a JSON document is in, for `lineage ingest` and the service's generic endpoint. */
import { isCdEvent } from './cdevents';
import { isInToto } from './intoto';
import { isNativeEvent } from './native';
import { isSarif } from './sarif';
import type { EventFormat } from './facts';
import { isObject } from './values';

export type DetectedFormat = EventFormat | 'unknown';

export function detectFormat(doc: unknown): DetectedFormat {
  if (Array.isArray(doc)) {
    const kinds = new Set(doc.map(detectFormat));
    return kinds.size === 1 ? [...kinds][0]! : 'unknown';
  }
  if (!isObject(doc)) return 'unknown';
  if (isCdEvent(doc)) return 'cdevents';
  if (isSarif(doc)) return 'sarif';
  if (isInToto(doc)) return 'intoto';
  if (isNativeEvent(doc)) return 'native';
  return 'unknown';
}
