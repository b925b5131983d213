#!/usr/bin/env node
// Writes the protobuf descriptor of OTLP's logs and trace export requests, which the service
// decodes OTLP/HTTP protobuf bodies with, from a checkout of open-telemetry/opentelemetry-proto
// (Apache-2.0):
//   node scripts/otlp-descriptor.mjs path/to/opentelemetry-proto
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const checkout = process.argv[2];
if (!checkout) throw new Error('usage: node scripts/otlp-descriptor.mjs path/to/opentelemetry-proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(checkout, target);
root.loadSync(['opentelemetry/proto/collector/logs/v1/logs_service.proto', 'opentelemetry/proto/collector/trace/v1/trace_service.proto'], {
  keepCase: false,
});
root.resolveAll();
const out = join(dirname(fileURLToPath(import.meta.url)), '../src/core/ingest/otlp/otlpDescriptor.json');
writeFileSync(out, `${JSON.stringify(root.toJSON(), null, 1)}\n`);
console.log(`wrote ${out}`);
