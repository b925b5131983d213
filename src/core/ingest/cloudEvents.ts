/**
 * CDEvents as they travel: in CloudEvents over HTTP (https://github.com/cloudevents/spec, HTTP
 * binding), which is how Tekton, Jenkins and Keptn send them. Binary mode carries the CloudEvent's
 * attributes in `ce-*` headers and the CDEvent as the body; structured mode
 * (`application/cloudevents+json`) and batches (`application/cloudevents-batch+json`) carry the
 * CDEvent as each CloudEvent's `data` (or `data_base64`). The CDEvents binding puts the whole
 * CDEvent (context, subject, customData) in `data`, so the CDEvent's own context id and source
 * keep idempotency, whatever id the CloudEvent was given on the way. Reading the envelope is the
 * CloudEvents SDK's work.
 */
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { isCdEvent } from './cdevents';
import { InvalidEventError } from './facts';
import { isObject, type Json } from './values';

type Headers = Record<string, string | string[] | undefined>;

/** Whether a request is CloudEvents over HTTP: `ce-*` headers, or a CloudEvents content type. */
export function isCloudEventsRequest(headers: Headers): boolean {
  const type = String(headers['content-type'] ?? '');
  return headers['ce-specversion'] !== undefined || /^application\/cloudevents(-batch)?\+json\b/i.test(type);
}

/** A structured CloudEvent sent as plain JSON: the attributes CloudEvents requires, with data. */
export function isStructuredCloudEvent(doc: unknown): boolean {
  return (
    isObject(doc) &&
    typeof doc.specversion === 'string' &&
    typeof doc.type === 'string' &&
    typeof doc.id === 'string' &&
    (doc.data !== undefined || doc.data_base64 !== undefined)
  );
}

/** The CloudEvents a request carries (one, or a batch), read by the SDK; bad envelopes are 422s. */
export function cloudEventsOf(headers: Headers, body: string): CloudEventV1<unknown>[] {
  try {
    const received = HTTP.toEvent({ headers: flatten(headers), body });
    return Array.isArray(received) ? received : [received];
  } catch (e) {
    throw new InvalidEventError('', `not a valid CloudEvent: ${cloudEventsError(e)}`);
  }
}

/** A structured CloudEvent that arrived as plain JSON, read as the SDK reads structured mode. */
export function structuredCloudEvent(doc: Json): CloudEventV1<unknown> {
  const [event] = cloudEventsOf({ 'content-type': 'application/cloudevents+json' }, JSON.stringify(doc));
  return event!;
}

/**
 * The CDEvent a CloudEvent carries, and its text as stored: the event the audit log chains and
 * verification reads again. A CloudEvent whose type disagrees with the CDEvent inside is refused.
 */
export function cdEventOf(event: CloudEventV1<unknown>): { cdevent: Json; raw: string } {
  if (!event.type.startsWith('dev.cdevents.')) {
    throw new InvalidEventError(
      '/type',
      `a CloudEvent of type "${event.type}" is not a CDEvent; this endpoint takes CDEvents (type dev.cdevents.…) and native events`,
    );
  }
  // data_base64 first: the SDK decodes it into an array of a byte per element, not always a Uint8Array.
  let data: unknown = typeof event.data_base64 === 'string' ? Buffer.from(event.data_base64, 'base64').toString('utf8') : event.data;
  if (ArrayBuffer.isView(data)) data = Buffer.from(Array.from(data as unknown as ArrayLike<number>)).toString('utf8');
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      throw new InvalidEventError('/data', 'the CloudEvent data is not JSON; a CDEvent is carried as JSON');
    }
  }
  if (!isObject(data) || !isCdEvent(data)) {
    throw new InvalidEventError('/data', 'the CloudEvent data is not a CDEvent (expected context.type "dev.cdevents.…")');
  }
  const inner = (data.context as Json).type as string;
  if (inner !== event.type) {
    throw new InvalidEventError('/type', `the CloudEvent says type "${event.type}", but the CDEvent inside is "${inner}"`);
  }
  return { cdevent: data, raw: JSON.stringify(data) };
}

function flatten(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The SDK's validation errors, in words: which attribute, and why. */
function cloudEventsError(e: unknown): string {
  const errors = (e as { errors?: { instancePath?: string; message?: string }[] }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.map((x) => `${x.instancePath ? `${x.instancePath.replace(/^\//, '')} ` : ''}${x.message ?? ''}`.trim()).join('; ');
  }
  return e instanceof Error ? e.message : String(e);
}
