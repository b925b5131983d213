/**
 * OTLP/HTTP bodies (https://opentelemetry.io/docs/specs/otlp/#otlphttp): protobuf
 * (`application/x-protobuf`) or JSON (`application/json`). Protobuf is decoded with protobufjs
 * against the descriptor of OTLP's own .proto files (otlpDescriptor.json, written by
 * scripts/otlp-descriptor.mjs from open-telemetry/opentelemetry-proto, Apache-2.0) into the same
 * shape OTLP/JSON has: lowerCamelCase fields, 64-bit integers as decimal strings, ids as hex.
 */
import protobuf from 'protobufjs/light';
import descriptor from './otlpDescriptor.json';

export type OtlpSignal = 'logs' | 'traces';

const root = protobuf.Root.fromJSON(descriptor);
const requests: Record<OtlpSignal, protobuf.Type> = {
  logs: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
  traces: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
};

/** A protobuf export request as the OTLP/JSON object it stands for; throws on bytes that are not one. */
export function decodeOtlpProtobuf(signal: OtlpSignal, body: Buffer): Record<string, unknown> {
  const type = requests[signal];
  const message = type.decode(body);
  const object = type.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false, arrays: false });
  return hexIds(object) as Record<string, unknown>;
}

/** OTLP/JSON writes trace and span ids as hex, where protobufjs gives base64. */
function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      (k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof v === 'string'
        ? Buffer.from(v, 'base64').toString('hex')
        : hexIds(v);
  }
  return out;
}
